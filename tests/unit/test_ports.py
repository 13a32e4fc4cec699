"""Every storage adapter offers each method of the sharing rules' ports
(sharing.ports) with a signature a caller of the port can use."""

import inspect

import pytest

from glance_members.db import repository
from glance_members.glance import shares
from glance_members.sharing import ports

ADAPTERS = [repository.Repository, shares.BesideGlance]


def _port_methods():
    for port in ports.PORTS:
        for name, method in vars(port).items():
            if inspect.isfunction(method) and not name.startswith('_'):
                yield port.__name__, name, inspect.signature(method)


@pytest.mark.parametrize('adapter', ADAPTERS, ids=lambda a: a.__name__)
@pytest.mark.parametrize('port, name, signature', list(_port_methods()),
                         ids=lambda v: v if isinstance(v, str) else '')
def test_the_adapter_offers_the_port_method(adapter, port, name, signature):
    method = getattr(adapter, name, None)
    assert method is not None, '%s lacks %s.%s' % (adapter.__name__, port,
                                                   name)
    offered = inspect.signature(inspect.unwrap(method)).parameters
    for param in signature.parameters.values():
        assert param.name in offered, (name, param.name)
        if param.default is not inspect.Parameter.empty:
            assert offered[param.name].default == param.default, \
                (name, param.name)


def test_the_ports_name_what_the_rules_call():
    # A rule calling a storage method no port names would tie the rules
    # to one adapter.
    import ast
    import pathlib
    named = {name for _, name, _ in _port_methods()}
    called = set()
    for module in pathlib.Path(ports.__file__).parent.glob('*.py'):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(
                    node.value, ast.Name) and node.value.id == 'repo':
                called.add(node.attr)
    assert called <= named, called - named
