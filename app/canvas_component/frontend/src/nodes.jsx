// React Flow's three node kinds with a DragDL label: a dataset only has an output handle, a trainer only an
// input, everything else both (canvas._flow_type on the Python side chooses the kind).
import React from "react";
import { Handle, Position } from "reactflow";
import { Label } from "./label.jsx";

const SIDES = { top: Position.Top, bottom: Position.Bottom, left: Position.Left, right: Position.Right };

const node = (inputs, outputs) => ({ data, sourcePosition, targetPosition }) => (
  <>
    {outputs && <Handle type="source" position={SIDES[sourcePosition] || Position.Bottom} isConnectable />}
    <Label content={data.content} />
    {inputs && <Handle type="target" position={SIDES[targetPosition] || Position.Top} isConnectable />}
  </>
);

export const NODE_TYPES = { input: node(false, true), default: node(true, true), output: node(true, false) };
