package dev.sandpod.attacks;

/** A value of the host that an attack program receives as an argument: the target it tries to reach. */
enum Fixture {
    /** A process the test started on the host, which no run may signal. */
    SLEEPER_PID,
    /** The service's own JVM. */
    SERVICE_PID,
    /** The port of the service under attack, on host loopback. */
    SERVICE_PORT,
    /** A TCP listener of the test on all host addresses. */
    TCP_PORT,
    /** A UDP socket of the test on all host addresses. */
    UDP_PORT,
    /** The host's own addresses, loopback and others, plus the cloud metadata address, comma separated. */
    HOST_ADDRESSES,
    /** A Unix socket the test listens on, named docker.sock like the one an escape would look for. */
    UNIX_SOCKET,
    /** An abstract Unix socket name a host process listens on. */
    ABSTRACT_SOCKET,
    /** A file on the host that no run may change or delete. */
    CANARY_FILE,
    /** The host directory that holds the canary. */
    CANARY_DIR
}
