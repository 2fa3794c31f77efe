#!/usr/bin/env bash
# The static lsm-action (vm/helper/lsm-action.c, the policy tests' action helper) into
# $VM_CACHE/helper/lsm-action, prebuilt or compiled as static-tool.sh says.
#   build-helper.sh              copy or compile (cached)
#   build-helper.sh --prebuilt   exit 0 when the prebuilt binary is the one to use (host-tools.sh asks)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/static-tool.sh"
[ "${1:-}" = --prebuilt ] && STATIC_TOOL_ASK_PREBUILT=1
static_tool "action helper" "$VM_DIR/helper/lsm-action.c" "$VM_CACHE/helper/lsm-action" \
  "a static libc (Debian/Ubuntu: gcc libc6-dev)"
