"""camgate's benchmark suite (issue 7): ``make bench`` runs it, ``make bench-smoke`` a short version."""
