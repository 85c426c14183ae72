"""The output formats' names, in a module of their own so that the command line can name
them without importing the output module (`votr --help` starts faster without it)."""

# Every format output.render knows; `votr list`, `show` and `options` offer all of them.
FORMATS = ("table", "plain", "json", "ndjson", "csv", "tsv")
# The formats whose errors (usage errors too) are {"error": …} on stderr: a reader of
# JSON gets JSON.
JSON_FORMATS = ("json", "ndjson")
