"""One search box over a project's records: the kinds that can be searched (``kinds``), the read (``selectors``)."""
