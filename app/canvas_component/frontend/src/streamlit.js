// The Streamlit component protocol, by hand: four messages. streamlit-component-lib would bring Apache
// Arrow (for dataframe arguments, which the canvas never gets) and a second React into the bundle.
const send = (type, fields) => window.parent.postMessage({ isStreamlitMessage: true, type, ...fields }, "*");

export const ready = () => send("streamlit:componentReady", { apiVersion: 1 });
export const setValue = (value) => send("streamlit:setComponentValue", { value, dataType: "json" });
export const setHeight = (height) => send("streamlit:setFrameHeight", { height });

export const onRender = (callback) =>
  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "streamlit:render") callback(event.data.args || {});
  });
