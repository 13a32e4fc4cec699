from django.urls import re_path

from gm_dashboard.image_sharing import views

IMAGE = r'^(?P<image_id>[^/]+)/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(IMAGE + r'$', views.DetailView.as_view(), name='detail'),
    re_path(IMAGE + r'share/$', views.ShareView.as_view(), name='share'),
]
