#!/usr/bin/env python3
"""Validates suite files against a JSON Schema, as an editor would: python3-jsonschema, draft 2020-12.

Usage: validate_suites.py SCHEMA FILE...
Prints one line per mistake, "FILE: path.to.value: message", and exits 1 when there is any; 2 when
the schema itself is not a valid draft 2020-12 schema. YAML and JSON files are both read as YAML.
"""
import json
import sys

import jsonschema
import yaml


def location(error):
    return ".".join(str(part) for part in error.absolute_path) or "(root)"


def main(arguments):
    if len(arguments) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as file:
        schema = json.load(file)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        print(f"{arguments[0]}: not a draft 2020-12 schema: {error.message}")
        return 2
    validator = jsonschema.Draft202012Validator(schema)
    mistakes = 0
    for path in arguments[1:]:
        with open(path, encoding="utf-8") as file:
            suite = yaml.safe_load(file)
        for error in sorted(validator.iter_errors(suite), key=lambda e: list(e.absolute_path)):
            print(f"{path}: {location(error)}: {error.message}")
            mistakes += 1
    return 1 if mistakes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
