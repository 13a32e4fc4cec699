# Horizon plugin file: copy into openstack_dashboard/local/enabled/.
# Project > Compute > Shared with me, and the pending-share notice in
# Horizon's top bar.
PANEL = 'shared_with_me'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'compute'
ADD_PANEL = 'gm_dashboard.shared_with_me.panel.SharedWithMe'
ADD_INSTALLED_APPS = ['gm_dashboard']
ADD_HEADER_SECTIONS = ['gm_dashboard.notice.PendingNotice']
