"""What each item block and report shows, as plain data (no docutils).

A *view* is a typed record (:class:`~.items.ItemView`,
:class:`~.matrix.MatrixRow`, ...) of strings, statuses and
:class:`~.links.Link`, built from the :class:`~sphinx_threats.analysis.Report`:
one module per report, one for item blocks, and the links and the report
request they share.  ``render`` draws nodes from views; the digest of the
views on a page tells which pages must be rewritten after an edit elsewhere
(see ``digests.pages_to_rewrite``).
"""
