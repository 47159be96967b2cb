"""``{% page_url number "page" %}``: the current URL's query with one page number changed, so a page link keeps the
filters (and the other lists' page numbers) of the page it is on. Used by ``templates/_pager.html``."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int, param: str = "page") -> str:
    query = context["request"].GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"
