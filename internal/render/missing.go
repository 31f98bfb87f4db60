package render

import "text/template/parse"

// valueFunc names the function that emptyMissing inserts into templates.
const valueFunc = "pacerValue"

// funcs are the functions every campaign template is parsed with.
var funcs = map[string]any{valueFunc: orEmpty}

// orEmpty returns v, or "" when v is nil: a missing attribute.
func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// emptyMissing rewrites a parsed template so that a missing attribute acts as
// the empty string. Go's templates print a missing map key of a map[string]any
// as "<no value>" (text/template) and pass it to functions as nil, where
// printf shows "%!s(<nil>)". The rewrite pipes each value that can be missing
// through orEmpty: in text templates the value an action prints, and in all
// templates a value piped or passed to a function, so that
// {{ if eq .Subscriber.Attribs.plan "pro" }} works for subscribers without a
// plan. Conditions and range operands are left alone: a missing value is
// already false there.
func emptyMissing(tree *parse.Tree, printed bool) {
	if tree == nil || tree.Root == nil {
		return
	}
	w := walker{tree: tree, printed: printed}
	w.list(tree.Root)
}

type walker struct {
	tree    *parse.Tree
	printed bool // whether printed values need the rewrite (text/template)
}

func (w walker) list(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		w.node(n)
	}
}

func (w walker) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.ActionNode:
		w.pipe(n.Pipe)
		cmds := n.Pipe.Cmds
		if len(n.Pipe.Decl) == 0 && len(cmds) > 0 && (w.printed || len(cmds) > 1) && mayBeMissing(cmds[0]) {
			// Insert right after the first command, so that a trailing
			// escaper such as | html stays last.
			n.Pipe.Cmds = append(append(append([]*parse.CommandNode(nil), cmds[0]), w.call()), cmds[1:]...)
		}
	case *parse.IfNode:
		w.branch(&n.BranchNode)
	case *parse.RangeNode:
		w.branch(&n.BranchNode)
	case *parse.WithNode:
		w.branch(&n.BranchNode)
	case *parse.TemplateNode:
		w.pipe(n.Pipe)
	case *parse.ListNode:
		w.list(n)
	}
}

func (w walker) branch(b *parse.BranchNode) {
	w.pipe(b.Pipe)
	w.list(b.List)
	w.list(b.ElseList)
}

// pipe rewrites the arguments of every function call in p.
func (w walker) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		if len(cmd.Args) == 0 {
			continue
		}
		if _, isFunc := cmd.Args[0].(*parse.IdentifierNode); !isFunc {
			continue
		}
		for i, arg := range cmd.Args[1:] {
			switch a := arg.(type) {
			case *parse.PipeNode:
				w.pipe(a)
			case *parse.FieldNode, *parse.VariableNode, *parse.ChainNode:
				if mayBeMissingArg(a) {
					cmd.Args[i+1] = w.wrap(a)
				}
			}
		}
	}
}

// wrap returns (arg | pacerValue).
func (w walker) wrap(arg parse.Node) *parse.PipeNode {
	first := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: arg.Position(), Args: []parse.Node{arg}}
	return &parse.PipeNode{NodeType: parse.NodePipe, Pos: arg.Position(),
		Cmds: []*parse.CommandNode{first, w.call()}}
}

func (w walker) call() *parse.CommandNode {
	id := parse.NewIdentifier(valueFunc).SetTree(w.tree)
	return &parse.CommandNode{NodeType: parse.NodeCommand, Args: []parse.Node{id}}
}

// mayBeMissing reports whether a printed command can yield a missing value:
// a field path into a map, a variable's field, or a call of index.
func mayBeMissing(cmd *parse.CommandNode) bool {
	if len(cmd.Args) == 0 {
		return false
	}
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		return id.Ident == "index"
	}
	return len(cmd.Args) == 1 && mayBeMissingArg(cmd.Args[0])
}

func mayBeMissingArg(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		// Data's own fields are never missing; anything under Attribs can be.
		for _, id := range n.Ident {
			if id == "Attribs" {
				return true
			}
		}
		return false
	case *parse.VariableNode:
		return len(n.Ident) > 1 || n.Ident[0] != "$"
	case *parse.ChainNode:
		return true
	}
	return false
}
