"""The Shared with me page."""

from django.utils.translation import gettext_lazy as _
from horizon import tabs

from gm_dashboard.shared_with_me import tabs as shared_tabs


class IndexView(tabs.TabbedTableView):
    tab_group_class = shared_tabs.SharedWithMeTabs
    template_name = 'gm_dashboard/shared_with_me/index.html'
    page_title = _("Shared with me")
