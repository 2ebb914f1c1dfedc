#!/bin/sh
# The mutation check (tests/mutation/mutate.py): every mutant of mutants.ini must be killed by
# the tests it names. Not part of CI (about an hour on 2 cores); see docs/testing.md.
exec python3 "$(dirname "$0")/mutate.py" "$@"
