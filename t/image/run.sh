#!/bin/sh
# run.sh -- `make test-image`: boot the image in IMAGE_ROOT (default
# image/rootfs) as containers and drive them as DirectAdmin would; ends
# with "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/../.."
IMAGE_ROOT=$(cd "${IMAGE_ROOT:-image/rootfs}" && pwd)
export IMAGE_ROOT
TESTS=$(ls t/image/*.bats) exec sh t/run-tests.sh
