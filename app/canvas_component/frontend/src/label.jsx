// A node's label. Python writes it (dragdl_core/compiler/canvas.node_label) as paragraphs of escaped text
// with **bold** and <code>…</code>; it becomes React elements, never HTML, so nothing a graph file holds can
// put markup into the page, even if an escape were forgotten on the Python side.
import React, { memo } from "react";

const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#x27;": "'" };
const unescape = (text) => text.replace(/&(lt|gt|amp|quot|#x27);/g, (entity) => ENTITIES[entity]);
const MARKS = /(\*\*[^*]+\*\*|<code>[^<]*<\/code>)/;

function paragraph(text, key) {
  const parts = text.split(MARKS).map((part, index) => {
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4)
      return <strong key={index}>{unescape(part.slice(2, -2))}</strong>;
    if (part.startsWith("<code>")) return <code key={index}>{unescape(part.slice(6, -7))}</code>;
    return unescape(part);
  });
  return <p key={key}>{parts}</p>;
}

export const Label = memo(({ content }) => (
  <div className="label">{String(content || "").split(/\n\n+/).map(paragraph)}</div>
));
