"""glance-members: the OpenStack Image API v2 image-sharing service."""

import warnings

# futurist (oslo.messaging's, for notifications) imports eventlet only to
# see whether it is there; eventlet answers with an import-time banner that
# is about nothing we run. Silenced there, by name, and nowhere else.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated',
                        module='futurist')
