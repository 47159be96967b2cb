"""Pages of a list read in the database: every list page shows at most ``PAGE_SIZE`` rows (issue 13).

The same size as the project list (``projects.listing.PAGE_SIZE``). A page number that is not a number or is
past the end shows the last valid page (Django's ``Paginator.get_page``), never a 500: a page is a link, not an
API (the API's pages are ``core.filtering.StrictPageNumberPagination``).
"""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(rows, params, *, param: str = "page", count: int | None = None, size: int = PAGE_SIZE) -> Page:
    """The page named by ``params[param]`` of ``rows`` (a queryset ordered in the database).

    ``count``, when the caller already counted the rows (in an aggregate), saves the paginator's COUNT query.
    """
    paginator = Paginator(rows, size)
    if count is not None:
        paginator.count = count
    return paginator.get_page(params.get(param))
