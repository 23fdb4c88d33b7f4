# Shared by the scripts in this folder. Sourced, not run.

# Prints a heading, then runs the command.
step() {
    local what=$1
    shift
    printf '\n== %s\n' "$what"
    "$@"
}

# The component's target; rustup does not fetch it on its own.
ensure_wasm_target() {
    if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip2; then
        step "add the wasm32-wasip2 target" rustup target add wasm32-wasip2
    fi
}
