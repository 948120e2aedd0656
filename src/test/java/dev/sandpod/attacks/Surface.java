package dev.sandpod.attacks;

/**
 * The classes of attack of the threat model; each attack names the one it belongs to. The cross-run class needs two
 * runs at once and lives in {@link CrossRunAttacks}.
 */
enum Surface {
    RESOURCES,
    HOST_VIEW,
    NETWORK,
    FILESYSTEM,
    KERNEL,
    INTEGRITY
}
