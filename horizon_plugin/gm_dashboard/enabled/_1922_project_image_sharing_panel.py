# Horizon plugin file: copy into openstack_dashboard/local/enabled/.
# Project > Compute > Image Sharing (the producer's side); the app itself
# is added by _1921.
PANEL = 'image_sharing'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'compute'
ADD_PANEL = 'gm_dashboard.image_sharing.panel.ImageSharing'
