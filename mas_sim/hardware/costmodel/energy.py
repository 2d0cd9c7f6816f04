"""Per-access energies and the energy of a layer, pJ.

Costs are normalised to one 8-bit MAC, as in the Eyeriss paper's storage hierarchy (Chen, Emer,
Sze, ISCA 2016, Fig. 1 / Table IV: ALU 1x, RF 0.5 kB 1x, array NoC 2x, global buffer 100 kB 6x,
DRAM 200x), and made absolute with :data:`E_MAC_PJ`, a 65 nm 8-bit MAC in the range Accelergy's
65 nm tables and Horowitz (ISSCC 2014, 45 nm: 8-bit multiply 0.2 pJ + add 0.03 pJ) give.

========================  =========  ===============  ===========================================
level                     relative   pJ per access     source / note
========================  =========  ===============  ===========================================
MAC (8-bit)               1x         0.5              Eyeriss ALU reference; Accelergy 65 nm-like
PE buffer / RF (512 B)    1x         0.5              Eyeriss RF; scaled with size, see below
array NoC (per byte)      2x         1.0              Eyeriss inter-PE / GLB-to-PE transfer
global buffer (100 KiB)   6x         3.0              Eyeriss GLB; scaled with size, see below
DRAM (per byte)           200x       100.0            Eyeriss DRAM (12.5 pJ/bit, DDR3/LPDDR-class)
NoP (per bit)             --         1.3              RELMAS Table 1 (SystemSpec default)
========================  =========  ===============  ===========================================

SRAM energy per access grows sub-linearly with capacity (CACTI-like). Between Eyeriss's two anchors
(0.5 kB RF = 1x, 100 kB GLB = 6x) we interpolate a power law,
``e(size) = E_MAC_PJ x (size / 512 B) ** SRAM_EXPONENT`` with ``SRAM_EXPONENT = ln 6 / ln 200``,
so a 220 B RF costs 0.75x, a 24 KiB Simba PE buffer 3.7x, a 32 KiB GLB 4.1x, a 64 KiB GLB 5.2x.

Energy of one layer::

    MACs x E_MAC + vector ops x E_MAC                    (data-movement layers' adds/compares)
    + PE-buffer accesses x e(pe_buffer_bytes)
    + array bytes x (E_NOC + e(global_buffer_bytes))     (every GLB<->PE byte is a GLB access)
    + DRAM bytes x (E_DRAM + e(global_buffer_bytes) + 8 x NoP pJ/bit)
"""

from __future__ import annotations

import math

import numpy as np

from mas_sim.hardware.costmodel.layers import FloatArray

#: Energy of one 8-bit multiply-accumulate, pJ (65 nm).
E_MAC_PJ = 0.5
#: Moving one byte over the PE-array network (GLB to PE or PE to PE), pJ: 2x a MAC.
E_NOC_PJ_PER_BYTE = 2.0 * E_MAC_PJ
#: Reading or writing one byte of DRAM, pJ: 200x a MAC.
E_DRAM_PJ_PER_BYTE = 200.0 * E_MAC_PJ
#: Moving one bit over the network-on-package, pJ (RELMAS Table 1; SystemSpec's default).
NOP_PJ_PER_BIT = 1.3
#: The RF anchor of the SRAM power law, bytes (Eyeriss: 0.5 kB costs 1x).
SRAM_ANCHOR_BYTES = 512.0
#: Power-law exponent: 100 kB (200x the anchor) costs 6x.
SRAM_EXPONENT = math.log(6.0) / math.log(200.0)


def sram_pj_per_byte(size_bytes: float) -> float:
    """Energy of one byte access to an on-chip SRAM of ``size_bytes``, pJ."""
    return E_MAC_PJ * (size_bytes / SRAM_ANCHOR_BYTES) ** SRAM_EXPONENT


def layer_energy(*, macs: FloatArray, vector_ops: FloatArray, pe_accesses: FloatArray,
                 array_bytes: FloatArray, dram_bytes: FloatArray, pe_buffer_bytes: float,
                 global_buffer_bytes: float, nop_pj_per_bit: float) -> FloatArray:
    """Energy of each layer, pJ (formula in the module docstring; all counts per layer)."""
    e_glb = sram_pj_per_byte(global_buffer_bytes)
    return np.asarray(
        (macs + vector_ops) * E_MAC_PJ
        + pe_accesses * sram_pj_per_byte(pe_buffer_bytes)
        + array_bytes * (E_NOC_PJ_PER_BYTE + e_glb)
        + dram_bytes * (E_DRAM_PJ_PER_BYTE + e_glb + 8.0 * nop_pj_per_bit),
        dtype=np.float64,
    )
