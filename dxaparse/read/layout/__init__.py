"""Positioned words → a report's findings, whatever the words came from (a PDF's text layer, OCR of a
page image, a DICOM report page).

`words` groups words into lines, `table` finds results tables by their header band and the values'
own signatures, `fields` and `values` read header facts, `sentences` and `narrative` read prose, and
`scanner` / `report` put them together with the vendor vocabularies of `vendors/layouts/`.
"""
