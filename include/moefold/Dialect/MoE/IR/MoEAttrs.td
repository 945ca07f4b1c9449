//===- MoEAttrs.td - moe attributes ----------------------*- tablegen -*-===//
//
// Parameter families, router scoring functions and parameter initialisation
// specs.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEATTRS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEATTRS_TD

include "moefold/Dialect/MoE/IR/MoEBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class MoE_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<MoE_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Family
//===----------------------------------------------------------------------===//

def MoE_Family : I32EnumAttr<"Family",
    "parameter family", [
      I32EnumAttrCase<"Embedding", 0, "embedding">,
      I32EnumAttrCase<"Dense", 1, "dense">,
      I32EnumAttrCase<"Norm", 2, "norm">,
      I32EnumAttrCase<"Router", 3, "router">,
      I32EnumAttrCase<"RoutedExpert", 4, "routed_expert">,
      I32EnumAttrCase<"SharedExpert", 5, "shared_expert">]> {
  let cppNamespace = "::moefold::moe";
  let genSpecializedAttr = 0;
}

def MoE_FamilyAttr : EnumAttr<MoE_Dialect, MoE_Family, "family"> {
  let summary = "Family of a parameter.";
  let description = [{
    The family of a `moe.param`: `embedding`, `dense` (attention and dense
    MLP projections, the LM head), `norm`, `router`, `routed_expert` or
    `shared_expert`. Routed experts live on the mesh's `expert` view, every
    other family on the `dense` view. Inside `moe.param` the family is
    written bare (`family = dense`).

    ```mlir
    #moe.family<routed_expert>
    ```
  }];
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Scoring
//===----------------------------------------------------------------------===//

def MoE_Scoring : I32EnumAttr<"Scoring",
    "router scoring function", [
      I32EnumAttrCase<"Softmax", 0, "softmax">,
      I32EnumAttrCase<"Sigmoid", 1, "sigmoid">]> {
  let cppNamespace = "::moefold::moe";
  let genSpecializedAttr = 0;
}

def MoE_ScoringAttr : EnumAttr<MoE_Dialect, MoE_Scoring, "scoring"> {
  let summary = "Scoring function of a router.";
  let description = [{
    `softmax` (Mixtral, Qwen-MoE) normalises the expert logits of a token
    over all experts; `sigmoid` (DeepSeek-V3) scores every expert
    independently. Inside `moe.router` it is written bare
    (`scoring = softmax`).

    ```mlir
    #moe.scoring<sigmoid>
    ```
  }];
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// InitAttr
//===----------------------------------------------------------------------===//

def MoE_InitKind : I32EnumAttr<"InitKind",
    "init distribution", [
      I32EnumAttrCase<"Zeros", 0, "zeros">,
      I32EnumAttrCase<"Ones", 1, "ones">,
      I32EnumAttrCase<"Constant", 2, "constant">,
      I32EnumAttrCase<"Normal", 3, "normal">,
      I32EnumAttrCase<"TruncatedNormal", 4, "truncated_normal">,
      I32EnumAttrCase<"Uniform", 5, "uniform">]> {
  let cppNamespace = "::moefold::moe";
  let genSpecializedAttr = 0;
}

def MoE_InitAttr : MoE_Attr<"Init", "init"> {
  let summary = "How a parameter is initialised.";
  let description = [{
    A distribution the runtime samples every element of a parameter from,
    with a counter-based RNG indexed by the element's *global* index (so a
    shard equals the slice of the single-rank initialisation):

    | spec | meaning |
    |---|---|
    | `zeros` | 0 |
    | `ones` | 1 |
    | `constant(c)` | `c` |
    | `normal(s)` | N(0, s²), `s > 0` |
    | `truncated_normal(s)` | N(0, s²) resampled outside [-2s, 2s], `s > 0` |
    | `uniform(a)` | U(-a, a), `a > 0` |

    Inside `moe.param` the spec is written bare (`init = normal(0.02)`).

    ```mlir
    #moe.init<normal(0.02)>
    #moe.init<zeros>
    ```
  }];
  let parameters = (ins
    "InitKind":$kind,
    APFloatParameter<"scale or value; 0 for zeros and ones">:$value);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "InitKind":$kind, CArg<"double", "0.0">:$value), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(value));
    }]>
  ];
  let extraClassDeclaration = [{
    /// True for the kinds written with a number in parentheses.
    static bool hasValue(InitKind kind);
    /// The number in parentheses as a double (0 for zeros and ones).
    double getValueAsDouble() const { return getValue().convertToDouble(); }
    /// Prints the bare form (`normal(2.000000e-02)`, `zeros`) used inside
    /// `moe.param`.
    void printBare(::mlir::AsmPrinter &printer) const;
    /// Parses the bare form; emits a diagnostic and returns null on error.
    static InitAttr parseBare(::mlir::AsmParser &parser);
  }];
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOEATTRS_TD
