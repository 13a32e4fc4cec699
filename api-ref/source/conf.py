# Sphinx configuration of the glance-members API reference.
#
# Build: tox -e api-ref, that is
#   sphinx-build -W -b html -d api-ref/build/doctrees api-ref/source \
#       api-ref/build/html
# (warnings are errors; tests/integration/test_api_ref_build.py runs the same
# command so CI builds it too).

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

project = 'glance-members'
copyright = '2010-present, OpenStack Foundation; glance-members contributors'
source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'
exclude_patterns = ['build']
add_module_names = False
show_authors = False
pygments_style = 'native'

html_theme = 'openstackdocs'
html_theme_options = {
    'sidebar_dropdown': 'api_ref',
    'sidebar_mode': 'toc',
}
html_title = 'glance-members API Reference'

# openstackdocstheme: no git repository metadata is needed for the build.
openstackdocs_repo_name = 'glance-members'
openstackdocs_auto_name = False
openstackdocs_bug_project = 'glance-members'
openstackdocs_bug_tag = 'api-ref'
openstackdocs_pdf_link = False
