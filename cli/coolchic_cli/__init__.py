"""The ``coolchic`` command line: encode, decode, inspect and convert ``.cool`` images."""
