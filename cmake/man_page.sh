#!/usr/bin/env bash
# Writes the man page of the built program from its own --help texts (help2man), never written
# twice: the program's --help, and a COMMANDS section with `cutover help COMMAND` for each
# subcommand its --help lists.   usage: man_page.sh PROGRAM OUTPUT
set -euo pipefail
program=$1
output=$2
include=$(mktemp)
trap 'rm -f "$include"' EXIT

# roff: a backslash is written \e, and a line starting with . or ' is escaped.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

# The commands are the lines of --help's "Subcommands:" block, up to the blank line after it.
commands=$("$program" --help | awk '/^Subcommands:/ { on = 1; next } on && !NF { exit } on { print $1 }')
{
  echo "[COMMANDS]"
  for command in $commands; do
    [[ "$command" == help ]] && continue
    echo ".SS $command"
    echo ".nf"
    # Each command's help without its "Exit codes:" block: EXIT STATUS has it once.
    (exec -a cutover "$program" help "$command") |
      awk '/^Exit codes:/ { skip = 1; next } skip && !NF { skip = 0; next } !skip' | roff
    echo ".fi"
  done
  # From --help's "Exit codes:" block.
  echo "[EXIT STATUS]"
  echo ".nf"
  "$program" --help | awk '/^Exit codes:/ { on = 1; next } on && !NF { exit } on { sub(/^ +/, ""); print }' | roff
  echo ".fi"
  echo "[SEE ALSO]"
  echo "The README, installed in /usr/share/doc/cutover (or <prefix>/share/doc/cutover)."
} >"$include"
help2man --no-info --section=1 --name="validate a system migration with suites of checks" \
  --include="$include" --output="$output" "$program"
