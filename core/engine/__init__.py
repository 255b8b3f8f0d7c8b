"""How derivatives are computed: binding a point, the value/tangent/cotangent sweeps, graph
transformations and Hessian sparsity."""
