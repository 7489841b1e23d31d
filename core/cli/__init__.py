"""Console scripts: parse arguments, call ``core``, format the answer. No logic of their own."""
