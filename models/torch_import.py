"""Import a PyTorch ``nn.Module`` as a layer graph, through a torch.fx symbolic trace.

torch is imported only when :func:`from_torch` is called, so ``import models`` stays light.

Supported (anything else is refused with a :class:`ModelError` naming every offending operator):

- ``nn.Conv2d`` (any groups; dilation 1) -> ``conv``; ``nn.Linear`` on a flat input -> ``fc``;
- ``nn.BatchNorm2d`` -> fused into the conv it follows (+2 params per channel), no node;
- ReLU, ReLU6, LeakyReLU, Sigmoid, SiLU, Dropout, Identity (modules or functions) -> no node;
- ``nn.MaxPool2d`` / ``nn.AvgPool2d`` / ``nn.AdaptiveAvgPool2d`` (and their ``F.`` functions)
  -> ``pool``;
- ``torch.add`` / ``+`` of two tensors -> ``add``; ``torch.cat`` on channels -> ``concat``;
- ``flatten`` / ``view`` / ``reshape`` -> no node; size queries (``x.size(0)``) are ignored.

Shapes come from running the traced module once on ``example_input`` (batch dimension first,
dropped from every recorded shape); MACs and parameters are per sample. A module called twice
gives two nodes and counts its parameters twice.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import networkx as nx

from mas_sim.core.errors import ModelError
from models.builder import GraphBuilder, Tensor, chw, pair

if TYPE_CHECKING:
    import torch
    from torch import fx


def from_torch(module: torch.nn.Module, example_input: torch.Tensor,
               name: str | None = None) -> nx.DiGraph:
    """The layer graph of ``module`` for one sample shaped like ``example_input`` (N, ...).

    ``name`` (default: the module's class name) goes to ``graph.graph["name"]``. The module's
    train/eval flags are restored afterwards; it runs once, in eval mode, without gradients.
    """
    import torch
    from torch import fx

    model = name or type(module).__name__
    if not isinstance(module, torch.nn.Module):
        raise ModelError(f"model {model!r}: expected a torch.nn.Module, got "
                         f"{type(module).__name__}")
    if not isinstance(example_input, torch.Tensor) or example_input.dim() < 2:
        raise ModelError(f"model {model!r}: example_input should be one batched tensor "
                         f"(N, C, H, W) or (N, F), got {_describe_value(example_input)}")
    if fx.Tracer().is_leaf_module(module, ""):
        # A bare torch.nn layer would be traced into its functional form: trace it as the only
        # layer of a Sequential instead (its node is then named "0").
        module = torch.nn.Sequential(module)
    try:
        traced = fx.symbolic_trace(module)
    except Exception as exc:  # torch.fx raises many types for untraceable code
        raise ModelError(f"model {model!r}: torch.fx cannot trace the module: {exc}") from exc
    inputs = [node.name for node in traced.graph.nodes if node.op == "placeholder"]
    if len(inputs) != 1:
        raise ModelError(f"model {model!r}: the module takes {len(inputs)} inputs "
                         f"({', '.join(inputs)}); only single-input modules are supported")
    modes = {sub: sub.training for sub in module.modules()}
    try:
        module.eval()
        with torch.no_grad():
            _record_shapes(traced, example_input)
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"model {model!r}: running the module on an input of shape "
                         f"{tuple(example_input.shape)} failed: {first_line}") from exc
    finally:
        for sub, training in modes.items():
            sub.training = training
    return _Importer(model, traced, tuple(example_input.shape)).run()


_SHAPE = "mas_sim_shape"
"""fx node meta key: the node's output shape (N, ...), None for a tuple of tensors; absent for
Python values (sizes, shape elements)."""


def _record_shapes(traced: fx.GraphModule, example_input: torch.Tensor) -> None:
    """Run ``traced`` once on ``example_input``, recording every tensor output's shape.

    (torch's ShapeProp does the same but prints a traceback on failure.)
    """
    import torch
    from torch import fx

    class Recorder(fx.Interpreter):
        def run_node(self, n: fx.Node) -> Any:
            result = super().run_node(n)
            if isinstance(result, torch.Tensor):
                n.meta[_SHAPE] = tuple(result.shape)
            elif isinstance(result, list | tuple) and any(
                    isinstance(r, torch.Tensor) for r in result):
                n.meta[_SHAPE] = None
            else:
                n.meta.pop(_SHAPE, None)
            return result

    Recorder(traced).run(example_input)


def _describe_value(value: object) -> str:
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else \
        type(value).__name__


class _Importer:
    """Walks a shape-propagated fx graph in order, feeding a :class:`GraphBuilder`."""

    def __init__(self, model: str, traced: fx.GraphModule, input_shape: tuple[int, ...]) -> None:
        self.model = model
        self.traced = traced
        self.builder = GraphBuilder(model, chw(input_shape[1:], f"model {model!r}: input"))
        self.env: dict[fx.Node, Tensor] = {}
        self.kinds = _kinds()
        self.reasons: dict[fx.Node, str] = {}

    def run(self) -> nx.DiGraph:
        plan = [(node, self._classify(node)) for node in self.traced.graph.nodes]
        unsupported = sorted({_label(node, self.traced) + self.reasons.get(node, "")
                              for node, kind in plan if kind is None})
        if unsupported:
            raise ModelError(f"model {self.model!r}: unsupported operator(s): "
                             f"{', '.join(unsupported)} (supported: Conv2d, Linear, BatchNorm2d, "
                             f"ReLU/ReLU6/LeakyReLU/Sigmoid/SiLU/Dropout/Identity, MaxPool2d, "
                             f"AvgPool2d, AdaptiveAvgPool2d, add, cat, flatten/view/reshape)")
        for node, kind in plan:
            assert kind is not None
            handler: Callable[[fx.Node], Tensor | None] = getattr(self, f"_{kind}")
            out = handler(node)
            if out is not None:
                self._check_shape(node, out)
                self.env[node] = out
        if self.builder.graph.number_of_nodes() == 0:
            raise ModelError(f"model {self.model!r}: no layers (conv, fc, pool, add, concat)")
        return self.builder.build()

    # -- classification --------------------------------------------------------------------
    def _classify(self, node: fx.Node) -> str | None:
        """Handler name for ``node``, or None if unsupported."""
        if node.op in ("placeholder", "output"):
            return node.op
        if node.op in ("call_function", "call_method") and _SHAPE not in node.meta:
            return "ignore"  # a Python value (a size, a shape element): no data moves
        if node.op == "call_module":
            sub = self._module(node)
            return next((kind for types, kind in self.kinds.modules if isinstance(sub, types)),
                        None)
        kind: str | None = None
        if node.op == "call_function":
            kind = self.kinds.functions.get(node.target)
        elif node.op == "call_method":
            kind = self.kinds.methods.get(str(node.target))
        args: tuple[Any, ...] = tuple(node.args[:2])
        if kind == "add" and not all(isinstance(a, _fx_node()) and _SHAPE in a.meta
                                     for a in args):
            self.reasons[node] = " (of a tensor and a constant)"
            return None  # a bias-like constant add is not a layer we model
        return kind

    # -- handlers (one per kind) -----------------------------------------------------------
    def _placeholder(self, node: fx.Node) -> Tensor:
        return self.builder.input  # from_torch checked that there is exactly one

    def _output(self, node: fx.Node) -> None:
        return None

    def _ignore(self, node: fx.Node) -> None:
        return None

    def _passthrough(self, node: fx.Node) -> Tensor:
        return self._input(node)

    def _reshape(self, node: fx.Node) -> Tensor:
        return self._input(node).reshape(self._shape(node))

    def _conv(self, node: fx.Node) -> Tensor:
        conv = self._module(node)
        name = self._name(str(node.target))
        if tuple(conv.dilation) != (1, 1):
            raise ModelError(f"model {self.model!r}, layer {name!r}: dilation "
                             f"{tuple(conv.dilation)} is not supported (only 1)")
        x = self._input(node)
        if x.shape[0] != conv.in_channels:
            raise ModelError(f"model {self.model!r}, layer {name!r}: expects "
                             f"{conv.in_channels} input channels, gets {x.shape}")
        padding = conv.padding if isinstance(conv.padding, str) else pair(conv.padding, name)
        return self.builder.conv(name, x, conv.out_channels, tuple(conv.kernel_size),
                                 tuple(conv.stride), padding, conv.groups,
                                 bias=conv.bias is not None)

    def _fc(self, node: fx.Node) -> Tensor:
        linear = self._module(node)
        name = self._name(str(node.target))
        x = self._input(node)
        if x.size != linear.in_features or len(self._meta(node.args[0])) != 2:
            raise ModelError(f"model {self.model!r}, layer {name!r}: Linear needs a flat "
                             f"(N, {linear.in_features}) input, gets "
                             f"{self._meta(node.args[0])}")
        return self.builder.fc(name, x, linear.out_features, bias=linear.bias is not None)

    def _bn(self, node: fx.Node) -> Tensor:
        return self.builder.fuse_bn(self._input(node), f"BatchNorm2d {node.target!r}")

    def _pool(self, node: fx.Node) -> Tensor:
        pool = self._module(node)
        name = self._name(str(node.target))
        pool_type = "max" if isinstance(pool, self.kinds.max_pool) else "avg"
        if pool_type == "max" and pair(pool.dilation, name) != (1, 1):
            raise ModelError(f"model {self.model!r}, layer {name!r}: pooling dilation "
                             f"{pool.dilation} is not supported (only 1)")
        return self.builder.pool(name, self._input(node), pool_type, pool.kernel_size,
                                 pool.stride, pair(pool.padding, name), bool(pool.ceil_mode))

    def _adaptive_pool(self, node: fx.Node) -> Tensor:
        pool = self._module(node)
        return self._adaptive(self._name(str(node.target)), node, pool.output_size)

    def _fpool(self, node: fx.Node) -> Tensor:
        """``F.max_pool2d`` / ``F.avg_pool2d``: arguments as PyTorch defines them."""
        fn = node.target
        pool_type = "max" if fn is self.kinds.f_max_pool else "avg"
        args: dict[str, Any] = dict(zip(("input", "kernel_size", "stride", "padding"), node.args,
                                        strict=False))
        args.update(node.kwargs)
        if pool_type == "max":
            extra: dict[str, Any] = dict(zip(("dilation", "ceil_mode"), node.args[4:],
                                             strict=False))
        else:
            extra = dict(zip(("ceil_mode",), node.args[4:], strict=False))
        extra.update({k: v for k, v in node.kwargs.items() if k in ("dilation", "ceil_mode")})
        name = self._name(f"{self._scope(node)}{pool_type}_pool")
        if pair(extra.get("dilation", 1), name) != (1, 1):
            raise ModelError(f"model {self.model!r}, layer {name!r}: pooling dilation is not "
                             f"supported (only 1)")
        stride = args.get("stride") or None  # PyTorch: None or [] means the kernel size
        return self.builder.pool(name, self._input(node), pool_type, args["kernel_size"],
                                 stride, pair(args.get("padding", 0), name),
                                 bool(extra.get("ceil_mode", False)))

    def _fadaptive_pool(self, node: fx.Node) -> Tensor:
        size: Any = node.args[1] if len(node.args) > 1 else node.kwargs["output_size"]
        return self._adaptive(self._name(f"{self._scope(node)}pool"), node, size)

    def _add(self, node: fx.Node) -> Tensor:
        args: tuple[Any, ...] = tuple(node.args[:2])
        inputs = [self.env[a] for a in args if isinstance(a, _fx_node())]
        return self.builder.add(self._name(f"{self._scope(node)}add"), *inputs)

    def _concat(self, node: fx.Node) -> Tensor:
        tensors: Any = node.args[0] if node.args else node.kwargs["tensors"]
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        rank = len(self._meta(node))
        assert isinstance(dim, int) and isinstance(tensors, list | tuple)
        if dim % rank != 1:
            raise ModelError(f"model {self.model!r}: torch.cat on dim {dim} of a rank-{rank} "
                             f"tensor is not supported (only the channel dim 1)")
        inputs = [self.env[t] for t in tensors]
        return self.builder.concat(self._name(f"{self._scope(node)}concat"),
                                   *inputs)

    # -- helpers ---------------------------------------------------------------------------
    def _adaptive(self, name: str, node: fx.Node, size: Any) -> Tensor:
        x = self._input(node)
        if not isinstance(size, int):
            size = tuple(x.shape[i + 1] if s is None else s for i, s in enumerate(size))
        return self.builder.adaptive_pool(name, x, "avg", size)

    def _module(self, node: fx.Node) -> Any:
        """The called submodule, typed loosely: torch's stubs type module attributes as Tensor."""
        return self.traced.get_submodule(str(node.target))

    def _input(self, node: fx.Node) -> Tensor:
        arg: Any = node.args[0] if node.args else next(iter(node.kwargs.values()))
        if not isinstance(arg, _fx_node()) or arg not in self.env:
            raise ModelError(f"model {self.model!r}: {_label(node, self.traced)} is not applied "
                             f"to a tensor of the network")
        return self.env[arg]

    def _meta(self, node: Any) -> tuple[int, ...]:
        """The recorded shape of a tensor-valued node (batch dimension first)."""
        assert isinstance(node, _fx_node())
        shape = node.meta[_SHAPE]
        if shape is None:
            raise ModelError(f"model {self.model!r}: {_label(node, self.traced)} returns "
                             f"several tensors; only single-tensor operators are supported")
        return tuple(shape)

    def _shape(self, node: fx.Node) -> tuple[int, int, int]:
        return chw(self._meta(node)[1:], f"model {self.model!r}, {node.name}")

    def _check_shape(self, node: fx.Node, out: Tensor) -> None:
        """The builder's shape inference must agree with what torch computed."""
        if node.op == "placeholder":
            return
        real = self._shape(node)
        if real != out.shape:
            raise ModelError(f"model {self.model!r}: {_label(node, self.traced)} outputs "
                             f"{real} but was modelled as {out.shape}")

    def _scope(self, node: fx.Node) -> str:
        """``"layer1.0."`` for a function called inside module ``layer1.0``, else ``""``."""
        stack = node.meta.get("nn_module_stack") or {}
        if not stack:
            return ""
        path = list(stack.values())[-1][0]
        return f"{path}." if path else ""

    def _name(self, base: str) -> str:
        """A unique node name: module path, or scope + op for functions (``add``, ``add_1``)."""
        return self.builder.unique_name(base)


class _Kinds:
    """Lookup tables from torch objects to handler names (built lazily: they need torch)."""

    def __init__(self) -> None:
        import torch
        import torch.nn.functional as F
        from torch import nn

        self.max_pool = nn.MaxPool2d
        self.f_max_pool = F.max_pool2d
        passthrough = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Sigmoid, nn.SiLU, nn.Dropout,
                       nn.Identity)
        self.modules: list[tuple[type | tuple[type, ...], str]] = [
            (nn.Conv2d, "conv"), (nn.Linear, "fc"), (nn.BatchNorm2d, "bn"),
            ((nn.MaxPool2d, nn.AvgPool2d), "pool"), (nn.AdaptiveAvgPool2d, "adaptive_pool"),
            (passthrough, "passthrough"), (nn.Flatten, "reshape"),
        ]
        self.functions: dict[object, str] = {
            torch.add: "add", operator.add: "add", operator.iadd: "add",
            torch.cat: "concat", torch.concat: "concat",
            torch.flatten: "reshape", torch.reshape: "reshape",
            F.max_pool2d: "fpool", F.avg_pool2d: "fpool",
            F.adaptive_avg_pool2d: "fadaptive_pool",
        }
        for fn in (F.relu, torch.relu, F.relu6, F.leaky_relu, torch.sigmoid, F.sigmoid, F.silu,
                   F.dropout):
            self.functions[fn] = "passthrough"
        self.methods: dict[str, str] = {
            "view": "reshape", "reshape": "reshape", "flatten": "reshape",
            "contiguous": "passthrough", "relu": "passthrough", "sigmoid": "passthrough",
            "add": "add",
        }


_KINDS: list[_Kinds] = []


def _kinds() -> _Kinds:
    if not _KINDS:
        _KINDS.append(_Kinds())
    return _KINDS[0]


def _fx_node() -> type[fx.Node]:
    from torch import fx
    return fx.Node


def _label(node: fx.Node, traced: fx.GraphModule) -> str:
    """How a user recognises an operator: ``GELU (module 'act')``, ``matmul``, ``Tensor.mean``."""
    if node.op == "call_module":
        return f"{type(traced.get_submodule(str(node.target))).__name__} (module {node.target!r})"
    if node.op == "call_function":
        return getattr(node.target, "__name__", repr(node.target))
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    return f"{node.op} {node.target!r}"
