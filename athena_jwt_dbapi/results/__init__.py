"""Fetching results: the first page from GetQueryResults, the rest streamed from the S3 result file.

``csv_rows`` turns Athena's result CSV into rows of text with the fastest parser the installed extras
allow; ``result_set`` decides, per query, which path the rows take (``ResultFetcher``).
"""
