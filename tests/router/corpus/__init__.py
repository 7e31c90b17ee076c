"""The router's specification corpus: one module per feature, each a list of `RouterCase`s."""
