"""One construct per capability of the catalog; the stack only wires them together."""
