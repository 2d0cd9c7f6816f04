"""Darknet YOLO detectors: YOLO-LITE (trial 3, no batch-norm, VOC) and YOLOv2 (COCO).

Both follow darknet's cfg files: every ``[convolutional]`` with ``pad=1`` pads ``size // 2``;
``[maxpool]`` size 2 stride 2 halves the map (its stride-1 variant does not occur here). Layers
are named by darknet layer index (``conv0``, ``pool1``, ...), as darknet prints them; ``route``
layers that only point back to an earlier output create no node, a route of several layers is a
``concat`` node, ``reorg`` is its own node, and the final ``region`` layer (box decoding) is not
counted. Convs with ``batch_normalize=1`` have no bias and 2 BN params per channel; the others
have a bias.
"""

from __future__ import annotations

import networkx as nx

from models.builder import GraphBuilder, Tensor

# YOLO-LITE trial 3 (Pedoeem & Huang, 2018): 7 convs, 224x224, no batch-norm; ("C", filters,
# size) is a conv (leaky, or linear for the last), ("M",) a 2x2/2 max-pool.
_YOLO_LITE: tuple[tuple[str, ...] | tuple[str, int, int], ...] = (
    ("C", 16, 3), ("M",), ("C", 32, 3), ("M",), ("C", 64, 3), ("M",), ("C", 128, 3), ("M",),
    ("C", 128, 3), ("M",), ("C", 256, 3), ("C", 125, 1),
)

# yolov2.cfg layers 0..24: Darknet-19 without its classifier, plus two 3x3x1024 convs.
_YOLOV2_BACKBONE: tuple[tuple[str, ...] | tuple[str, int, int], ...] = (
    ("C", 32, 3), ("M",), ("C", 64, 3), ("M",),
    ("C", 128, 3), ("C", 64, 1), ("C", 128, 3), ("M",),
    ("C", 256, 3), ("C", 128, 1), ("C", 256, 3), ("M",),
    ("C", 512, 3), ("C", 256, 1), ("C", 512, 3), ("C", 256, 1), ("C", 512, 3), ("M",),
    ("C", 1024, 3), ("C", 512, 1), ("C", 1024, 3), ("C", 512, 1), ("C", 1024, 3),
    ("C", 1024, 3), ("C", 1024, 3),
)
_YOLOV2_ROUTE_SOURCE = 16  # "route -9" from layer 25: the last 26x26x512 conv


def _darknet_stack(b: GraphBuilder, layers: tuple[tuple[str, ...] | tuple[str, int, int], ...],
                   x: Tensor, bn: bool) -> list[Tensor]:
    """Run a plain conv/max-pool stack; return the output of every darknet layer, in order."""
    outputs: list[Tensor] = []
    for index, layer in enumerate(layers):
        if layer[0] == "M":
            x = b.pool(f"pool{index}", x, "max", 2, 2)
        else:
            _, filters, size = layer
            assert isinstance(filters, int) and isinstance(size, int)
            x = b.conv(f"conv{index}", x, filters, size, padding=size // 2, bias=not bn, bn=bn)
        outputs.append(x)
    return outputs


def yolo_lite() -> nx.DiGraph:
    """YOLO-LITE trial 3 (VOC, 125 outputs): 240,004,352 MACs, 572,317 params."""
    b = GraphBuilder("yolo_lite", (3, 224, 224))
    _darknet_stack(b, _YOLO_LITE, b.input, bn=False)
    return b.build()


def yolov2() -> nx.DiGraph:
    """YOLOv2 (darknet ``yolov2.cfg``, COCO, 416x416): 14,732,084,224 MACs, 50,962,889 params."""
    b = GraphBuilder("yolov2", (3, 416, 416))
    out = _darknet_stack(b, _YOLOV2_BACKBONE, b.input, bn=True)  # layers 0..24
    # 25: route -9 = layer 16 (no node); 26: 1x1 conv 64; 27: reorg /2; 28: route -1,-4 =
    # layers 27 and 24 (concat, passthrough first as darknet orders it).
    passthrough = b.conv("conv26", out[_YOLOV2_ROUTE_SOURCE], 64, 1, bias=False, bn=True)
    passthrough = b.reorg("reorg27", passthrough, 2)
    x = b.concat("concat28", passthrough, out[24])
    x = b.conv("conv29", x, 1024, 3, padding=1, bias=False, bn=True)
    # 30: detection conv, 5 anchors x (80 classes + 5), linear, with bias; 31: region (no node).
    b.conv("conv30", x, 425, 1)
    return b.build()
