"""Import an ONNX file as a layer graph (needs the optional ``onnx`` package: extra ``onnx``).

Supported operators (anything else is refused with a :class:`ModelError` naming each one):

- ``Conv`` (2-D, any group, dilation 1) -> ``conv``; ``Gemm`` and ``MatMul`` with a constant
  weight -> ``fc`` (a following ``Add`` of a constant is that layer's bias);
- ``BatchNormalization`` -> fused into the conv it follows (+2 params per channel), no node;
- ``Relu``, ``LeakyRelu``, ``Sigmoid``, ``Clip`` (ReLU6), ``Dropout``, ``Identity``, and
  ``Mul(x, Sigmoid(x))`` (SiLU) -> no node;
- ``MaxPool``, ``AveragePool``, ``GlobalAveragePool``, ``GlobalMaxPool`` -> ``pool``;
- ``Add`` of two tensors -> ``add``; ``Concat`` on channels -> ``concat``;
- ``Flatten`` / ``Reshape`` -> no node. Nodes computing only on constants (shape arithmetic,
  ``Constant``, ``Shape``) are folded away.

Export a PyTorch module for this importer with the TorchScript exporter and no constant folding,
``torch.onnx.export(m, (x,), path, dynamo=False, do_constant_folding=False)``: constant folding
fuses batch-norms into convs (changing their parameter count), and the dynamo exporter does too.

Node names come from the exporter's scopes: ``/layer1/conv/Conv`` -> ``layer1.conv``, functions
get their op appended (``/blk/Add`` -> ``blk.add``), which matches :func:`models.from_torch`
(except functional pools inside a module: ``blk`` here, ``blk.max_pool`` there).
"""

from __future__ import annotations

import contextlib
import math
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from mas_sim.core.errors import MissingExtraError, ModelError
from models.builder import GraphBuilder, Tensor, chw

if TYPE_CHECKING:
    import onnx

_PASSTHROUGH = frozenset({"Relu", "LeakyRelu", "Sigmoid", "Clip", "Dropout", "Identity"})
_RESHAPE = frozenset({"Flatten", "Reshape"})
_LAYERS = frozenset({"Conv", "Gemm", "MatMul", "BatchNormalization", "MaxPool", "AveragePool",
                     "GlobalAveragePool", "GlobalMaxPool", "Add", "Concat", "Mul"})
_SHAPE_OF = frozenset({"Shape", "Size"})
_SUPPORTED = _PASSTHROUGH | _RESHAPE | _LAYERS | _SHAPE_OF | {"Constant"}


def from_onnx(path: str | PathLike[str], name: str | None = None) -> nx.DiGraph:
    """The layer graph of the ONNX model at ``path`` (default name: the file's stem).

    Raises :class:`MissingExtraError` without the ``onnx`` package, :class:`ModelError` for a
    missing or malformed file or an unsupported operator.
    """
    try:
        import onnx
    except ImportError:
        raise MissingExtraError("ONNX import", "onnx", "onnx") from None
    file = Path(path)
    model_name = name or file.stem
    if not file.is_file():
        raise ModelError(f"model {model_name!r}: ONNX file {str(file)!r} does not exist")
    try:
        proto = onnx.load(str(file))
        onnx.checker.check_model(proto)
    except Exception as exc:  # protobuf DecodeError, onnx ValidationError, ...
        raise ModelError(f"model {model_name!r}: {str(file)!r} is not a valid ONNX model: "
                         f"{exc}") from exc
    with contextlib.suppress(Exception):  # without ONNX shapes, the builder's alone are used
        proto = onnx.shape_inference.infer_shapes(proto)
    return _Importer(model_name, proto).run()


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class _Importer:
    """Walks an ONNX graph (topologically sorted, as the checker guarantees)."""

    def __init__(self, model: str, proto: onnx.ModelProto) -> None:
        self.model = model
        self.from_torch = proto.producer_name == "pytorch"
        graph = proto.graph
        # Constants: initializers and everything computed from constants only, with dims.
        self.const_dims: dict[str, tuple[int, ...]] = {
            t.name: tuple(t.dims) for t in graph.initializer}
        self.shapes: dict[str, tuple[int | None, ...]] = {}
        for info in [*graph.value_info, *graph.input, *graph.output]:
            dims = info.type.tensor_type.shape.dim
            self.shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                           for d in dims)
        inputs = [i.name for i in graph.input if i.name not in self.const_dims]
        if len(inputs) != 1:
            raise ModelError(f"model {model!r}: expected one input tensor, found "
                             f"{len(inputs)} ({', '.join(inputs)})")
        shape = self.shapes.get(inputs[0], ())
        self.builder = GraphBuilder(model, chw(shape[1:], f"model {model!r}: input "
                                                           f"{inputs[0]!r}"))
        self.env: dict[str, Tensor] = {inputs[0]: self.builder.input}
        self.nodes = list(graph.node)

    def run(self) -> nx.DiGraph:
        layers = [node for node in self.nodes if not self._folded(node)]
        unsupported = sorted({f"{n.op_type} ({n.name or 'unnamed'})" for n in layers
                              if n.op_type not in _SUPPORTED or n.domain not in ("", "ai.onnx")})
        if unsupported:
            # torch's dynamo exporter (its default since 2.9) decomposes pooling and batch-norm
            # into such operators; the TorchScript exporter keeps the ones read here.
            hint = ("; exported from PyTorch: export with torch.onnx.export(..., dynamo=False, "
                    "do_constant_folding=False)" if self.from_torch else "")
            raise ModelError(f"model {self.model!r}: unsupported ONNX operator(s): "
                             f"{', '.join(unsupported)} (supported: "
                             f"{', '.join(sorted(_SUPPORTED))}){hint}")
        for node in layers:
            self._visit(node)
        if self.builder.graph.number_of_nodes() == 0:
            raise ModelError(f"model {self.model!r}: no layers (conv, fc, pool, add, concat)")
        return self.builder.build()

    def _folded(self, node: onnx.NodeProto) -> bool:
        """Whether ``node`` computes on constants only (or reads only a shape): then its outputs
        are recorded as constants (with dims where known) and it is no layer."""
        if not (node.op_type in ("Constant", *_SHAPE_OF)
                or all(i in self.const_dims for i in node.input if i)):
            return False
        value = _attrs(node).get("value") if node.op_type == "Constant" else None
        for out in node.output:
            dims = tuple(value.dims) if value is not None else self.shapes.get(out, ())
            self.const_dims[out] = tuple(d or 0 for d in dims)
        return True

    def _visit(self, node: onnx.NodeProto) -> None:
        op = node.op_type
        tensors = [i for i in node.input if i and i not in self.const_dims]
        missing = [t for t in tensors if t not in self.env]
        if missing:
            raise ModelError(f"model {self.model!r}: {op} node {node.name!r} reads "
                             f"{', '.join(missing)}, which no earlier node produces")
        if op in _PASSTHROUGH:
            out = self.env[tensors[0]]
        elif op in _RESHAPE:
            out = self._reshape(node, self.env[tensors[0]])
        elif op == "Mul":
            out = self._mul(node, tensors)
        elif op == "BatchNormalization":
            out = self.builder.fuse_bn(self.env[tensors[0]], f"BatchNormalization {node.name!r}")
        else:
            out = getattr(self, f"_{op.lower()}")(node, tensors)
            self._check_shape(node, out)
        self.env[node.output[0]] = out

    # -- operators -------------------------------------------------------------------------
    def _conv(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        attrs = _attrs(node)
        name = self._name(node, "conv")
        weight = self._weight(node, 1, 4)
        x = self.env[tensors[0]]
        group = int(attrs.get("group", 1))
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise ModelError(f"model {self.model!r}, layer {name!r}: dilation "
                             f"{attrs['dilations']} is not supported (only 1)")
        if weight[1] * group != x.shape[0]:
            raise ModelError(f"model {self.model!r}, layer {name!r}: weight {weight} with "
                             f"group {group} does not fit an input of {x.shape}")
        bias = len(node.input) > 2 and bool(node.input[2])
        return self.builder.conv(name, x, weight[0], (weight[2], weight[3]),
                                 tuple(attrs.get("strides", [1, 1])), self._padding(attrs),
                                 group, bias=bias)

    def _gemm(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        attrs = _attrs(node)
        name = self._name(node, "fc")
        if attrs.get("transA", 0):
            raise ModelError(f"model {self.model!r}, layer {name!r}: Gemm with transA is not "
                             f"supported")
        weight = self._weight(node, 1, 2)
        in_features, out = (weight[1], weight[0]) if attrs.get("transB", 0) else weight
        return self._fc(name, self.env[tensors[0]], in_features, out,
                        bias=len(node.input) > 2 and bool(node.input[2]))

    def _matmul(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        name = self._name(node, "fc")
        if len(tensors) != 1:
            raise ModelError(f"model {self.model!r}, layer {name!r}: MatMul of two tensors is "
                             f"not supported (only by a constant weight)")
        in_features, out = self._weight(node, 1, 2)
        return self._fc(name, self.env[tensors[0]], in_features, out, bias=False)

    def _maxpool(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        return self._pool(node, tensors, "max")

    def _averagepool(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        return self._pool(node, tensors, "avg")

    def _globalaveragepool(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        return self.builder.adaptive_pool(self._name(node, "pool"), self.env[tensors[0]], "avg",
                                          1)

    def _globalmaxpool(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        return self.builder.adaptive_pool(self._name(node, "pool"), self.env[tensors[0]], "max",
                                          1)

    def _add(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        if len(tensors) == 1:  # a constant added to a conv/FC output is its bias
            constant = next(i for i in node.input if i in self.const_dims)
            return self.builder.fuse_bias(self.env[tensors[0]],
                                          math.prod(self.const_dims[constant]),
                                          f"Add of a constant {node.name!r}")
        inputs = [self.env[t] for t in tensors]
        return self.builder.add(self._name(node, "add", module=False), *inputs)

    def _concat(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        axis = int(_attrs(node).get("axis", 0))
        rank = len(self.shapes.get(node.output[0], ())) or 4
        if len(tensors) != len(node.input) or axis % rank != 1:
            raise ModelError(f"model {self.model!r}: Concat {node.name!r} on axis {axis} (or "
                             f"with constants) is not supported (only tensors on the channel "
                             f"axis 1)")
        inputs = [self.env[t] for t in tensors]
        return self.builder.concat(self._name(node, "concat", module=False), *inputs)

    # -- helpers ---------------------------------------------------------------------------
    def _mul(self, node: onnx.NodeProto, tensors: list[str]) -> Tensor:
        """x * sigmoid(x) (SiLU) gates a tensor by itself: no new data dependency, no node."""
        values = [self.env[t] for t in tensors]
        if len(values) == 2 and values[0] == values[1]:
            return values[0]
        raise ModelError(f"model {self.model!r}: Mul {node.name!r} is supported only as "
                         f"x * Sigmoid(x) (SiLU)")

    def _fc(self, name: str, x: Tensor, in_features: int, out: int, bias: bool) -> Tensor:
        if x.size != in_features:
            raise ModelError(f"model {self.model!r}, layer {name!r}: weight expects "
                             f"{in_features} input features, gets {x.shape}")
        return self.builder.fc(name, x, out, bias=bias)

    def _pool(self, node: onnx.NodeProto, tensors: list[str], pool_type: str) -> Tensor:
        attrs = _attrs(node)
        name = self._name(node, f"{pool_type}_pool")
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise ModelError(f"model {self.model!r}, layer {name!r}: pooling dilation "
                             f"{attrs['dilations']} is not supported (only 1)")
        kernel = tuple(attrs["kernel_shape"])
        return self.builder.pool(name, self.env[tensors[0]], pool_type, kernel,
                                 tuple(attrs.get("strides", [1, 1])), self._padding(attrs),
                                 bool(attrs.get("ceil_mode", 0)))

    def _reshape(self, node: onnx.NodeProto, x: Tensor) -> Tensor:
        dims = self.shapes.get(node.output[0])
        if dims and all(d for d in dims[1:]):
            return x.reshape(chw(dims[1:], f"model {self.model!r}, {node.name}"))
        return x.flatten()

    def _padding(self, attrs: dict[str, Any]) -> tuple[int, int, int, int] | str:
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            return "same"
        if auto == "VALID":
            return (0, 0, 0, 0)
        pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
        return (pads[0], pads[1], pads[2], pads[3])

    def _weight(self, node: onnx.NodeProto, index: int, rank: int) -> tuple[int, ...]:
        source = node.input[index] if len(node.input) > index else ""
        dims = self.const_dims.get(source)
        if dims is None or len(dims) != rank:
            raise ModelError(f"model {self.model!r}: {node.op_type} {node.name!r} needs a "
                             f"constant rank-{rank} weight, got {source!r} with dims {dims}")
        return dims

    def _check_shape(self, node: onnx.NodeProto, out: Tensor) -> None:
        """The builder's shape inference must agree with ONNX's, where ONNX knows it."""
        dims = self.shapes.get(node.output[0])
        if not dims or not all(d for d in dims[1:]):
            return
        real = chw(dims[1:], f"model {self.model!r}, {node.name}")
        if real != out.shape:
            raise ModelError(f"model {self.model!r}: {node.op_type} {node.name!r} outputs "
                             f"{real} but was modelled as {out.shape}")

    def _name(self, node: onnx.NodeProto, op_name: str, module: bool = True) -> str:
        """Module path from the exporter's scope: ``/layer1/layer1.0/conv1/Conv`` and
        ``/layer1/0/conv1/Conv`` both give ``layer1.0.conv1``.

        Functions (``module=False``: add, concat) get ``op_name`` appended (``/blk/Add`` ->
        ``blk.add``); an op outside any module is named ``op_name`` (``/MaxPool`` ->
        ``max_pool``), as :func:`models.from_torch` names functional calls.
        """
        path = ""
        for part in node.name.strip("/").split("/")[:-1]:
            path = part if not path or part.startswith(f"{path}.") else f"{path}.{part}"
        base = op_name if not path else path if module else f"{path}.{op_name}"
        return self.builder.unique_name(base)
