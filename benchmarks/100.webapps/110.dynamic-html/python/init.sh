#!/bin/bash
# SeBS data step: copy the static templates next to the function code.
DIR=$1
VERBOSE=$2
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" >/dev/null 2>&1 && pwd)"
if [ "$VERBOSE" = true ]; then
  echo "Update ${DIR} with static templates ${SCRIPT_DIR}/templates/"
fi
cp -r "${SCRIPT_DIR}/templates" "${DIR}"
