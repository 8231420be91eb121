import React from "react";
import { createRoot } from "react-dom/client";
import { ReactFlowProvider } from "reactflow";
import "reactflow/dist/style.css";
import "./canvas.css";
import { Canvas } from "./canvas.jsx";
import { onRender, ready } from "./streamlit.js";

const root = createRoot(document.getElementById("root"));
onRender((args) => root.render(<ReactFlowProvider><Canvas args={args} /></ReactFlowProvider>));
ready();
