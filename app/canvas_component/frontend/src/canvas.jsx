// The graph on the Build page. Python owns the graph and sends a drawing with a timestamp; the canvas shows
// a drawing only when it is newer than anything the canvas has shown or reported, so a redraw that crossed
// a student's drag on the wire never moves nodes back (app/canvas_view.py is the other half).
// Reports: a node moved, an edge drawn, a node or edge clicked (or chosen with Enter), the empty canvas
// clicked (cleared: true, nothing chosen), each with the positions, the edges and a timestamp newer than the
// drawing it was made on.
import React, { useCallback, useEffect, useRef, useState } from "react";
import ReactFlow, { Background, Controls, addEdge, applyEdgeChanges, applyNodeChanges } from "reactflow";
import { setHeight, setValue } from "./streamlit.js";
import { NODE_TYPES } from "./nodes.jsx";

const EDGE_PREFIX = "st-flow-edge_"; // dragdl_core.compiler.canvas.EDGE_PREFIX

const reported = (nodes) => nodes.map(({ id, position, data, style }) => ({ id, position, data, style }));
const reportedEdges = (edges) =>
  edges.map(({ id, source, target, style, label }) => ({ id, source, target, style, label }));

export function Canvas({ args }) {
  const [nodes, setNodes] = useState(args.nodes || []);
  const [edges, setEdges] = useState(args.edges || []);
  const latest = useRef({ nodes, edges });
  latest.current = { nodes, edges };
  const newest = useRef(args.timestamp || 0); // of the drawing shown or the last report, whichever is later

  useEffect(() => {
    if ((args.timestamp || 0) > newest.current) {
      newest.current = args.timestamp;
      setNodes(args.nodes || []);
      setEdges(args.edges || []);
    }
  }, [args.timestamp, args.nodes, args.edges]);

  useEffect(() => setHeight(args.height), [args.height]);

  const report = useCallback((nodeList, edgeList, selectedId, cleared = false) => {
    newest.current = Math.max(Date.now(), newest.current + 1);
    setValue({ nodes: reported(nodeList), edges: reportedEdges(edgeList), selectedId, cleared,
               timestamp: newest.current });
  }, []);

  const onNodesChange = useCallback(
    (changes) => setNodes((current) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), current)),
    []);
  const onEdgesChange = useCallback(
    (changes) => setEdges((current) => applyEdgeChanges(changes.filter((c) => c.type !== "remove"), current)),
    []);
  const onNodeDragStop = useCallback((event, dragged, moved) => {
    const at = new Map((moved || [dragged]).map((n) => [n.id, n.position]));
    const nodeList = latest.current.nodes.map((n) => (at.has(n.id) ? { ...n, position: at.get(n.id) } : n));
    report(nodeList, latest.current.edges, null);
  }, [report]);
  const onConnect = useCallback((connection) => {
    const id = `${EDGE_PREFIX}${connection.source}-${connection.target}`;
    const edgeList = addEdge({ ...connection, id, markerEnd: { type: "arrowclosed" } }, latest.current.edges);
    setEdges(edgeList);
    report(latest.current.nodes, edgeList, id);
  }, [report]);
  const choose = useCallback((id) => report(latest.current.nodes, latest.current.edges, id), [report]);
  const onKeyDown = useCallback((event) => {
    const id = event.target.classList && event.target.classList.contains("react-flow__node") && event.target.dataset.id;
    if (id && (event.key === "Enter" || event.key === " ")) choose(id);
  }, [choose]);

  return (
    <div style={{ height: args.height }} onKeyDown={onKeyDown}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onNodeClick={(event, node) => choose(node.id)}
        onEdgeClick={(event, edge) => choose(edge.id)}
        onPaneClick={() => report(latest.current.nodes, latest.current.edges, null, true)}
        deleteKeyCode={null}
        fitView={Boolean(args.fitView)}
        minZoom={args.minZoom || 0.5}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls />
      </ReactFlow>
    </div>
  );
}
