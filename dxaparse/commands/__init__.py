"""Sub-commands of the `dxaparse` CLI; each only wires read → code → emit."""
