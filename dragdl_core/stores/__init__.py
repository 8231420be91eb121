"""What is kept on disk besides runs: user datasets (stores.datasets), pretrained weights (stores.weights, read
by stores.tensor_file without unpickling code) and the one rule for names in them (stores.names). Pure."""
