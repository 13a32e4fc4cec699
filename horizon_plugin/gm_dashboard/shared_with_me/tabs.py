"""One tab per member status; each tab asks Glance for its own list only
when shown."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from gm_dashboard import api
from gm_dashboard import sharing_api
from gm_dashboard.shared_with_me import tables


class _StatusTab(tabs.TableTab):
    template_name = 'horizon/common/_detail_table.html'
    # Tabs not shown are fetched when clicked: one Glance list per page.
    preload = False
    member_status = None

    def _shares(self):
        try:
            return api.shared_images(self.request, self.member_status)
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to list the images shared with "
                                "your project."))
            return []


class PendingTab(_StatusTab):
    name = _("Pending Acceptance")
    slug = 'pending'
    member_status = 'pending'
    table_classes = (tables.PendingTable,)

    def get_pending_data(self):
        return self._shares()


class AcceptedTab(_StatusTab):
    name = _("Accepted")
    slug = 'accepted'
    member_status = 'accepted'
    table_classes = (tables.AcceptedTable,)

    def get_accepted_data(self):
        return self._shares()


class RejectedTab(_StatusTab):
    name = _("Rejected")
    slug = 'rejected'
    member_status = 'rejected'
    table_classes = (tables.RejectedTable,)

    def get_rejected_data(self):
        return self._shares()


class TrustedTab(tabs.TableTab):
    """Producers whose shares arrive accepted (glance-members only)."""
    name = _("Trusted Producers")
    slug = 'trusted'
    template_name = 'horizon/common/_detail_table.html'
    table_classes = (tables.TrustedTable,)
    preload = False

    def allowed(self, request):
        return sharing_api.available(request)

    def get_trusted_data(self):
        try:
            trusts = sharing_api.trusted_producers(self.request)
            names = api.project_names(self.request,
                                      {t['project_id'] for t in trusts})
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to list your trusted producers."))
            return []
        return [api.Trust(t['project_id'], names.get(t['project_id'], ''),
                          t.get('created_at') or '') for t in trusts]


class SharedWithMeTabs(tabs.TabGroup):
    slug = 'shared'
    tabs = (PendingTab, AcceptedTab, RejectedTab, TrustedTab)
    sticky = True
