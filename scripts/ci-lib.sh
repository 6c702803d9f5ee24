# Shared by scripts/ci-plan and scripts/ci-apply (sourced, not run).
# Settings (environment):
#   INFRA        the infra binary (default: target/debug/infra, built if missing; else `infra` on PATH)
#   INFRA_STATE  the state file (default state/infra.db)
#   STACKS       space-separated stack directories to use instead of the changed ones

infra_bin() {
  if [ -n "${INFRA:-}" ]; then echo "$INFRA"; return; fi
  if [ -x target/debug/infra ]; then echo "target/debug/infra"; return; fi
  if command -v infra >/dev/null; then command -v infra; return; fi
  cargo build -q --bin infra >&2 && echo "target/debug/infra"
}

# The stack directories (stacks/<name>) touched by the files changed between $1 and $2.
# A change under stacks/modules/ touches every stack. Dependencies first: dev, staging,
# then prod (prod reads the others' outputs), then the rest by name.
changed_stacks() {
  if [ -n "${STACKS:-}" ]; then
    printf '%s\n' $STACKS
    return
  fi
  local files all=()
  files=$(git diff --name-only "$1" "$2" -- stacks/)
  local d
  for d in stacks/*/; do
    d=${d%/}
    [ "$d" = stacks/modules ] && continue
    ls "$d"/*.tf >/dev/null 2>&1 || continue
    all+=("$d")
  done
  local picked=()
  if grep -q '^stacks/modules/' <<<"$files"; then
    picked=("${all[@]}")
  else
    for d in "${all[@]}"; do
      grep -q "^$d/" <<<"$files" && picked+=("$d")
    done
  fi
  [ ${#picked[@]} -eq 0 ] && return 0
  local first
  for first in stacks/dev stacks/staging stacks/prod; do
    for d in "${picked[@]}"; do [ "$d" = "$first" ] && echo "$d"; done
  done
  for d in "${picked[@]}"; do
    case "$d" in stacks/dev|stacks/staging|stacks/prod) ;; *) echo "$d" ;; esac
  done
}
