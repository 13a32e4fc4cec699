from django.urls import re_path

from gm_dashboard.shared_with_me import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^trust/$', views.TrustView.as_view(), name='trust'),
]
