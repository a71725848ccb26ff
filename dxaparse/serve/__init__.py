"""Long-running services that code reports as they arrive: the folder watcher (and the PACS hook).

`settle` decides when an arrival is complete, `sink` commits a coded exam (store, then exports),
`folders` files inputs away into done/ and failed/, `watch` ties them to a file-system observer.
"""
