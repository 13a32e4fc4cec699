"""The `rabbitmq_node` fixture: a private RabbitMQ node for the session
(testbed/rabbitmq.py)."""

import pytest

from testbed import processes
from testbed.rabbitmq import Node
from testbed.rabbitmq import Unavailable


@pytest.fixture(scope='session')
def rabbitmq_node():
    try:
        node = Node()
    except Unavailable as e:
        processes.unavailable('RabbitMQ', str(e))
    try:
        node.start()
    except Unavailable as e:
        node.cleanup()
        processes.unavailable('RabbitMQ', str(e))
    try:
        yield node
    finally:
        node.stop()
        node.cleanup()
