"""Item options: their declarations, how they are written, how they are read.

Pure (no Sphinx, no docutils).  Three modules, one concern each:

- :mod:`.options`: every option of every item kind, declared once, and the
  tables derived from it;
- :mod:`.syntax`: the option text (reStructuredText option lines, MyST YAML
  blocks, lists) split into ``name -> value`` strings and their positions;
- :mod:`.values`: raw values coerced to an item record, and the item checked.
"""
