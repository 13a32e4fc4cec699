from django.urls import re_path

from gm_dashboard.image_sharing import views

IMAGE = r'^(?P<image_id>[^/]+)/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^batch/$', views.BatchView.as_view(), name='batch'),
    re_path(IMAGE + r'$', views.DetailView.as_view(), name='detail'),
    re_path(IMAGE + r'share/$', views.ShareView.as_view(), name='share'),
    re_path(IMAGE + r'members/(?P<member_id>[^/]+)/expiry/$',
            views.ExpiryView.as_view(), name='expiry'),
]
