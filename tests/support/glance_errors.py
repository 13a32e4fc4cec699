"""The error bodies Glance 33 sends: WebOb's three formats (JSON, HTML,
plain text, chosen by Accept; tests/glance-33-facts.md §3.7), written from
what a real Glance 33.0.0 answered, not from the service's code.

A WebOb error has an explanation (the status's stock sentence, or Glance's
own message) and, for some, a detail after it: "Access was denied to this
resource.<br /><br />\\nOwner can't be updated by non admin.\\n\\n".
"""

import html
import json

TITLES = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
          404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
          413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
          415: 'Unsupported Media Type',
          416: 'Request Range Not Satisfiable',
          500: 'Internal Server Error'}

# The stock explanations Glance's detail-style errors start with.
FORBIDDEN = 'Access was denied to this resource.'
CONFLICT = 'There was a conflict when trying to complete your request.'
RANGE = 'The Range requested is not available.'
# A 405's whole message (no detail), with the method.
METHOD_NOT_ALLOWED = ('The method %s is not allowed for this resource. '
                      '<br /><br />\n')


def status_line(code):
    return '%d %s' % (code, TITLES[code])


def json_error(code, message, detail=None, raw=False):
    """`{"message": .., "code": "404 Not Found", "title": "Not Found"}`:
    the message is `<message><br /><br />\\n\\n\\n`, or with a detail
    `<message><br /><br />\\n<detail>\\n\\n`; raw=True takes `message` as
    the whole WebOb message."""
    if raw:
        text = message
    elif detail is None:
        text = message + '<br /><br />\n\n\n'
    else:
        text = '%s<br /><br />\n%s\n\n' % (message, detail)
    return json.dumps({'message': text, 'code': status_line(code),
                       'title': TITLES[code]})


def html_error(code, message):
    return ('<html>\n <head>\n  <title>%s</title>\n </head>\n <body>\n'
            '  <h1>%s</h1>\n  %s<br /><br />\n\n\n\n </body>\n</html>'
            % (status_line(code), status_line(code),
               html.escape(message, quote=True)))


def text_error(code, message):
    return '%s\n\n%s\n\n   ' % (status_line(code), message)
