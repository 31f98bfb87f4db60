#!/usr/bin/env bash
# Stops every service `make demo` started. Data stays in .pacer/.
source "$(dirname "$0")/lib.sh"
stack_down
log "stack stopped (data kept in $STACK_DIR; remove it for a fresh start)"
