# SPDX-License-Identifier: Apache-2.0
"""YAML loading that names the file and line of a syntax error."""
import yaml


class Error(Exception):
    pass


class _Loader(yaml.SafeLoader):
    pass


def _no_duplicates(loader, node, deep=False):
    # YAML allows a repeated key to silently win; a manifest with one is a bug.
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_all(text, origin):
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = "%s:%d:%d" % (origin, mark.line + 1, mark.column + 1) if mark else origin
        raise Error("%s: %s" % (where, getattr(e, "problem", None) or e)) from None


def load_file(path):
    with open(path) as f:
        return load_all(f.read(), path)
