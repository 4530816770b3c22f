(** * The X-MM-Identity-Sig header (SPEC §2.1): values, serialization, parsing.

    [parse] follows packages/core/src/identity/header.ts step for step — unfold, split on [;],
    trim (JavaScript's whitespace), split at the first [=], token names, no duplicates, at most 32
    fields, the profile, then every value against its field's rule — so that the TypeScript parser
    can be checked against it on any input (test/formal/identity.test.ts).  The theorem: a
    well-formed field list, serialized with ["; "] and folded anywhere a signer may fold, parses
    back to exactly that list; so the serialization is injective and no value can smuggle a field
    ([agent=x; oversight=autonomous] is not a valid agent). *)

From Coq Require Import String Ascii List Arith NArith Lia Bool.
From Formal Require Import Payload.
Import ListNotations.
Open Scope string_scope.
Open Scope list_scope.
Open Scope N_scope.

Definition u (x : string) : str := map N_of_ascii (list_ascii_of_string x).

(** The names and character sets the rules use, computed once: [u] would otherwise run at every
    use when the model is evaluated (the oracle does that thousands of times). *)
Definition name_v := Eval vm_compute in u "v".
Definition name_sig := Eval vm_compute in u "sig".
Definition text_1 := Eval vm_compute in u "1".
Definition identity_header_name := Eval vm_compute in u "x-mm-identity-sig".
Definition safe_specials := Eval vm_compute in u "._:@/+-".
Definition b64_specials := Eval vm_compute in u "+/".
Definition pad2_chars := Eval vm_compute in u "AEIMQUYcgkosw048".
Definition pad1_chars := Eval vm_compute in u "AQgw".
Definition safe_names := Eval vm_compute in map u ["tenant"; "agent"; "approval"; "kid"].
Definition oversight_names := Eval vm_compute in map u ["oversight"].
Definition ts_names := Eval vm_compute in map u ["ts"].
Definition hex_names := Eval vm_compute in map u ["hh"; "bh"].
Definition h_names := Eval vm_compute in map u ["h"].
Definition sig_names := Eval vm_compute in map u ["sig"].
Definition known_names := Eval vm_compute in map u ["tenant"; "agent"; "approval"; "kid"; "oversight"; "ts"; "hh"; "bh"; "h"; "sig"].

Fixpoint str_eqb (a b : str) : bool :=
  match a, b with
  | [], [] => true
  | x :: a', y :: b' => (x =? y) && str_eqb a' b'
  | _, _ => false
  end.

Lemma str_eqb_eq : forall a b, str_eqb a b = true <-> a = b.
Proof.
  induction a as [|x a IH]; intros [|y b]; simpl; split; intros H; try discriminate; auto.
  - apply andb_true_iff in H. destruct H as [H1 H2]. apply N.eqb_eq in H1. apply IH in H2. congruence.
  - inversion H; subst. rewrite N.eqb_refl. simpl. apply IH. reflexivity.
Qed.

Lemma str_eqb_refl : forall a, str_eqb a a = true.
Proof. intros a. apply str_eqb_eq. reflexivity. Qed.

Definition is_nil {A} (l : list A) : bool := match l with [] => true | _ => false end.

(** ** Character classes *)

Definition between (lo hi c : N) : bool := (lo <=? c) && (c <=? hi).
Definition is_alpha (c : N) : bool := between 65 90 c || between 97 122 c.
Definition is_digit (c : N) : bool := between 48 57 c.
Definition is_lower_hex (c : N) : bool := is_digit c || between 97 102 c.
Definition member_of (cs : str) (c : N) : bool := existsb (N.eqb c) cs.

(** Values of tenant, agent, approval and kid: [A-Za-z0-9._:@/+-]. *)
Definition safe_char (c : N) : bool := is_alpha c || is_digit c || member_of safe_specials c.

Definition b64_char (c : N) : bool := is_alpha c || is_digit c || member_of b64_specials c.

(** A header name in [h]: RFC 5322 ftext, lowercase, without [:] (the list separator) and
    without [;] (the field separator of this header, which no value may contain). *)
Definition header_name_char (c : N) : bool := between 33 57 c || between 60 64 c || between 91 126 c.

(** JavaScript's [trim] and [\s]: WhiteSpace and LineTerminator. *)
Definition js_space (c : N) : bool :=
  member_of [9; 10; 11; 12; 13; 32; 160; 5760; 8232; 8233; 8239; 8287; 12288; 65279] c || between 8192 8202 c.

(** ** Values *)

Definition len_between (lo hi : nat) (v : str) : bool := Nat.leb lo (length v) && Nat.leb (length v) hi.

Definition safe_value (v : str) : bool := len_between 1 128 v && forallb safe_char v.

Definition mode_names : list str := Eval vm_compute in map u ["read_only"; "gated_all"; "gated_send"; "monitored"; "autonomous"].

Definition oversight_value (v : str) : bool := existsb (str_eqb v) mode_names.

Definition ts_value (v : str) : bool := len_between 1 12 v && forallb is_digit v.

Definition hex64 (v : str) : bool := Nat.eqb (length v) 64 && forallb is_lower_hex v.

Fixpoint split_on (sep : N) (s : str) : list str :=
  match s with
  | [] => [[]]
  | c :: t =>
      if c =? sep then [] :: split_on sep t
      else match split_on sep t with
           | h :: r => (c :: h) :: r
           | [] => [[c]]
           end
  end.

Fixpoint nodup_str (l : list str) : bool :=
  match l with
  | [] => true
  | x :: t => negb (existsb (str_eqb x) t) && nodup_str t
  end.

Definition h_value (v : str) : bool :=
  negb (is_nil v) &&
  forallb (fun n => negb (is_nil n) && forallb header_name_char n && negb (str_eqb n identity_header_name)) (split_on 58 v) &&
  nodup_str (split_on 58 v).

(** Canonical standard base64: padded, zero pad bits, so a signature has one spelling. *)
Fixpoint b64_canonical (v : str) : bool :=
  match v with
  | [a; b; c; d] =>
      b64_char a &&
      ((b64_char b && b64_char c && b64_char d) ||
       (b64_char b && member_of pad2_chars c && (d =? 61)) ||
       (member_of pad1_chars b && (c =? 61) && (d =? 61)))
  | a :: b :: c :: d :: rest => b64_char a && b64_char b && b64_char c && b64_char d && b64_canonical rest
  | _ => false
  end.

Definition is_name (n : str) (names : list str) : bool := existsb (str_eqb n) names.

(** The rule each field's value must follow; fields a later version may add are unrestricted. *)
Definition value_ok (name v : str) : bool :=
  if is_name name safe_names then safe_value v
  else if is_name name oversight_names then oversight_value v
  else if is_name name ts_names then ts_value v
  else if is_name name hex_names then hex64 v
  else if is_name name h_names then h_value v
  else if is_name name sig_names then b64_canonical v
  else true.

(** ** Parsing *)

Inductive reason := malformed_header | duplicate_field | missing_field | unknown_version | bad_value.
Inductive profile := v1 | seed.
Inductive parsed := parsed_ok (p : profile) (fields : list (str * str)) | parsed_error (r : reason).

Inductive res (A : Type) := Ok (a : A) | Err (r : reason).
Arguments Ok {A}. Arguments Err {A}.

(** [MAX_TAG_LIST_BYTES]: a longer header is malformed before it is read. *)
Definition max_header : N := 65536.

Definition max_fields : nat := 32.

(** Unfolding (RFC 5322 §2.2.3): a CRLF followed by a space or a tab goes. *)
Fixpoint unfold_crlf (s : str) : str :=
  match s with
  | [] => []
  | x :: s1 =>
      if x =? 13 then
        match s1 with
        | y :: s2 =>
            if y =? 10 then
              match s2 with
              | z :: _ => if (z =? 32) || (z =? 9) then unfold_crlf s2 else x :: unfold_crlf s1
              | [] => x :: unfold_crlf s1
              end
            else x :: unfold_crlf s1
        | [] => [x]
        end
      else x :: unfold_crlf s1
  end.

Fixpoint drop_ws (s : str) : str := match s with c :: t => if js_space c then drop_ws t else s | [] => [] end.
Definition trim (s : str) : str := rev (drop_ws (rev (drop_ws s))).
Definition remove_ws (s : str) : str := filter (fun c => negb (js_space c)) s.

Fixpoint break_at (sep : N) (s : str) : str * option str :=
  match s with
  | [] => ([], None)
  | c :: t => if c =? sep then ([], Some t) else let (a, b) := break_at sep t in (c :: a, b)
  end.

Definition token (n : str) : bool :=
  match n with
  | c :: t => is_alpha c && forallb (fun c => is_alpha c || is_digit c || (c =? 95)) t
  | [] => false
  end.

Definition has (name : str) (fields : list (str * str)) : bool := existsb (fun kv => str_eqb (fst kv) name) fields.

(** The fields in order; [body_hash] is reserved: the verifier computes it, a header cannot set it. *)
Fixpoint split_fields (parts : list str) (acc : list (str * str)) : res (list (str * str)) :=
  match parts with
  | [] => Ok acc
  | p :: rest =>
      let part := trim p in
      if is_nil part && is_nil rest then Ok acc
      else match break_at 61 part with
           | (_, None) => Err malformed_header
           | (nm, Some v) =>
               let name := trim nm in
               if is_nil name then Err malformed_header
               else if negb (token name) then Err malformed_header
               else if str_eqb name body_hash_key then Err malformed_header
               else if has name acc then Err duplicate_field
               else if Nat.leb max_fields (length acc) then Err malformed_header
               else split_fields rest (acc ++ [(name, if str_eqb name name_sig then remove_ws (trim v) else trim v)])
           end
  end.

Definition lookup (name : str) (fields : list (str * str)) : option str :=
  match find (fun kv => str_eqb (fst kv) name) fields with Some kv => Some (snd kv) | None => None end.

Definition v1_required : list str := Eval vm_compute in map u ["v"; "kid"; "tenant"; "agent"; "oversight"; "ts"; "h"; "hh"; "bh"; "sig"].
Definition seed_fields : list str := Eval vm_compute in map u ["agent"; "oversight"; "sig"; "tenant"].

Definition profile_of (fields : list (str * str)) : res profile :=
  match lookup name_v fields with
  | None =>
      if Nat.eqb (length fields) 4 && forallb (fun n => has n fields) seed_fields then Ok seed else Err missing_field
  | Some v =>
      if negb (str_eqb v text_1) then Err unknown_version
      else if forallb (fun n => has n fields) v1_required then Ok v1 else Err missing_field
  end.

Definition parse (value : str) : parsed :=
  if max_header <? N.of_nat (length value) then parsed_error malformed_header
  else match split_fields (split_on 59 (unfold_crlf value)) [] with
       | Err r => parsed_error r
       | Ok fields =>
           match profile_of fields with
           | Err r => parsed_error r
           | Ok p => if forallb (fun kv => value_ok (fst kv) (snd kv)) fields then parsed_ok p fields else parsed_error bad_value
           end
       end.

(** ** Serializing, as signers write it, and folding *)

Definition field_text (kv : str * str) : str := fst kv ++ [61] ++ snd kv.

(** Fields joined by ["; "]; where [folds] says so, the separator is [";" CRLF " "]. *)
Fixpoint folded (folds : list bool) (l : list (str * str)) : str :=
  match l with
  | [] => []
  | [kv] => field_text kv
  | kv :: t => field_text kv ++ (if hd false folds then [59; 13; 10; 32] else [59; 32]) ++ folded (tl folds) t
  end.

Definition serialize (l : list (str * str)) : str := folded [] l.

Definition no_ws_edges (v : str) : bool :=
  match v with [] => true | c :: _ => negb (js_space c) && negb (js_space (last v 0)) end.

(** What a value needs to survive the header's syntax: no [;], no CR, no whitespace at its ends,
    none at all in [sig].  Every value [value_ok] accepts for a known field has this. *)
Definition header_safe (name v : str) : bool :=
  forallb (fun c => negb (c =? 59) && negb (c =? 13)) v && no_ws_edges v &&
  (if str_eqb name name_sig then forallb (fun c => negb (js_space c)) v else true).

Definition field_ok (kv : str * str) : bool :=
  token (fst kv) && negb (str_eqb (fst kv) body_hash_key) && value_ok (fst kv) (snd kv) && header_safe (fst kv) (snd kv).

Definition well_formed (fs : list (str * str)) : bool :=
  nodup_str (map fst fs) && forallb field_ok fs && Nat.leb (length fs) max_fields &&
  match profile_of fs with Ok _ => true | Err _ => false end.

(** ** Lemmas *)

Lemma unfold_prefix : forall x y, forallb (fun c => negb (c =? 13)) x = true -> unfold_crlf (x ++ y) = x ++ unfold_crlf y.
Proof.
  induction x as [|c x IH]; intros y H; [reflexivity|].
  simpl in H. apply andb_true_iff in H. destruct H as [Hc Hx]. apply negb_true_iff in Hc.
  simpl. rewrite Hc. rewrite IH by exact Hx. reflexivity.
Qed.

Lemma token_no_cr : forall n, token n = true -> forallb (fun c => negb (c =? 13)) n = true /\ ~ In 61 n /\ ~ In 59 n.
Proof.
  intros [|c t] H; [discriminate|]. simpl in H. apply andb_true_iff in H. destruct H as [Hc Ht].
  assert (Hall : forall x, In x (c :: t) -> is_alpha x || is_digit x || (x =? 95) = true).
  { intros x [<- | Hx]; [unfold is_alpha in *; rewrite Hc; reflexivity | exact (proj1 (forallb_forall _ _) Ht x Hx)]. }
  split; [|split].
  - apply forallb_forall. intros x Hx. specialize (Hall x Hx).
    destruct (N.eqb_spec x 13); [subst; discriminate | reflexivity].
  - intros Hx. specialize (Hall 61 Hx). discriminate.
  - intros Hx. specialize (Hall 59 Hx). discriminate.
Qed.

Lemma field_text_no_cr : forall kv, field_ok kv = true -> forallb (fun c => negb (c =? 13)) (field_text kv) = true.
Proof.
  intros [n v] H. unfold field_ok, header_safe in H. cbn [fst snd] in H.
  repeat rewrite andb_true_iff in H. destruct H as [[[Tk _] _] [[Sc _] _]].
  unfold field_text. simpl. rewrite !forallb_app. rewrite (proj1 (token_no_cr n Tk)). simpl.
  apply forallb_forall. intros x Hx. pose proof (proj1 (forallb_forall _ _) Sc x Hx) as X.
  apply andb_true_iff in X. exact (proj2 X).
Qed.

Lemma unfold_folded : forall folds l, forallb field_ok l = true -> unfold_crlf (folded folds l) = serialize l.
Proof.
  intros folds l. revert folds. induction l as [|kv t IH]; intros folds H; [reflexivity|].
  simpl in H. apply andb_true_iff in H. destruct H as [Hk Ht].
  destruct t as [|kv' t'].
  - simpl. rewrite <- (app_nil_r (field_text kv)) at 1. rewrite unfold_prefix by (apply field_text_no_cr; exact Hk).
    unfold serialize. simpl. rewrite app_nil_r. reflexivity.
  - change (folded folds (kv :: kv' :: t')) with
      (field_text kv ++ (if hd false folds then [59; 13; 10; 32] else [59; 32]) ++ folded (tl folds) (kv' :: t')).
    change (serialize (kv :: kv' :: t')) with (field_text kv ++ [59; 32] ++ folded (tl []) (kv' :: t')).
    rewrite !unfold_prefix by (apply field_text_no_cr; exact Hk).
    f_equal. specialize (IH (tl folds) Ht).
    destruct (hd false folds).
    + transitivity (59 :: 32 :: unfold_crlf (folded (tl folds) (kv' :: t'))); [reflexivity|].
      rewrite IH. reflexivity.
    + transitivity (59 :: 32 :: unfold_crlf (folded (tl folds) (kv' :: t'))); [reflexivity|].
      rewrite IH. reflexivity.
Qed.

Lemma split_prefix : forall sep x y, ~ In sep x -> split_on sep (x ++ sep :: y) = x :: split_on sep y.
Proof.
  induction x as [|c x IH]; intros y H.
  - simpl. rewrite N.eqb_refl. reflexivity.
  - simpl. destruct (N.eqb_spec c sep) as [E|E]; [exfalso; apply H; left; exact E|].
    rewrite IH by (intros X; apply H; right; exact X). reflexivity.
Qed.

Lemma split_whole : forall sep x, ~ In sep x -> split_on sep x = [x].
Proof.
  induction x as [|c x IH]; intros H; [reflexivity|].
  simpl. destruct (N.eqb_spec c sep) as [E|E]; [exfalso; apply H; left; exact E|].
  rewrite IH by (intros X; apply H; right; exact X). reflexivity.
Qed.

Lemma field_text_no_semicolon : forall kv, field_ok kv = true -> ~ In 59 (field_text kv).
Proof.
  intros [n v] H. unfold field_ok, header_safe in H. cbn [fst snd] in H.
  repeat rewrite andb_true_iff in H. destruct H as [[[Tk _] _] [[Sc _] _]].
  unfold field_text. simpl. intros X. apply in_app_or in X. destruct X as [X | [X | X]].
  - exact (proj2 (proj2 (token_no_cr n Tk)) X).
  - discriminate.
  - pose proof (proj1 (forallb_forall _ _) Sc 59 X) as Y. discriminate.
Qed.

Lemma split_serialize : forall kv t, forallb field_ok (kv :: t) = true ->
  split_on 59 (serialize (kv :: t)) = field_text kv :: map (fun kv => 32 :: field_text kv) t.
Proof.
  intros kv t. revert kv. induction t as [|kv' t' IH]; intros kv H.
  - simpl in H. apply andb_true_iff in H. apply split_whole, field_text_no_semicolon. exact (proj1 H).
  - simpl in H. apply andb_true_iff in H. destruct H as [Hk Ht].
    change (serialize (kv :: kv' :: t')) with (field_text kv ++ 59 :: 32 :: serialize (kv' :: t')).
    rewrite split_prefix by (apply field_text_no_semicolon; exact Hk).
    f_equal. specialize (IH kv' Ht). simpl map. simpl split_on.
    replace (serialize (kv' :: t')) with (serialize (kv' :: t')) by reflexivity.
    rewrite IH. reflexivity.
Qed.

Lemma drop_ws_head : forall c t, js_space c = false -> drop_ws (c :: t) = c :: t.
Proof. intros c t H. simpl. rewrite H. reflexivity. Qed.

Lemma trim_plain : forall x, no_ws_edges x = true -> trim x = x.
Proof.
  intros [|c t] H; [reflexivity|]. unfold no_ws_edges in H. apply andb_true_iff in H. destruct H as [H1 H2].
  apply negb_true_iff in H1. apply negb_true_iff in H2.
  unfold trim. rewrite drop_ws_head by exact H1.
  destruct (rev (c :: t)) as [|d r] eqn:R.
  - apply (f_equal (@rev N)) in R. rewrite rev_involutive in R. discriminate.
  - assert (Hd : d = last (c :: t) 0).
    { rewrite <- (rev_involutive (c :: t)), R. simpl. rewrite last_last. reflexivity. }
    rewrite drop_ws_head by (rewrite Hd; exact H2). rewrite <- R. apply rev_involutive.
Qed.

Lemma last_app_ne : forall (l v : str) d, v <> [] -> last (l ++ v) d = last v d.
Proof.
  induction l as [|a l IH]; intros v d Ne; [reflexivity|].
  simpl. rewrite IH by exact Ne. destruct (l ++ v) eqn:E; [destruct l; simpl in E; [congruence | discriminate] | reflexivity].
Qed.

Lemma field_text_edges : forall kv, field_ok kv = true -> no_ws_edges (field_text kv) = true /\ js_space (hd 0 (field_text kv)) = false.
Proof.
  intros [[|c n] v] H; unfold field_ok, header_safe in H; cbn [fst snd] in H; [discriminate|].
  repeat rewrite andb_true_iff in H. destruct H as [[[Tk _] _] [[_ Ed] _]].
  assert (Cs : js_space c = false).
  { simpl in Tk. apply andb_true_iff in Tk. destruct Tk as [A _].
    unfold js_space, is_alpha, between, member_of in *.
    apply orb_true_iff in A. destruct A as [A | A]; apply andb_true_iff in A; destruct A as [A1 A2];
      apply N.leb_le in A1; apply N.leb_le in A2; simpl;
      repeat match goal with |- context[(c =? ?k)] => replace (c =? k) with false by (symmetry; apply N.eqb_neq; lia) end;
      simpl; replace ((8192 <=? c) && (c <=? 8202)) with false by (symmetry; apply andb_false_iff; left; apply N.leb_gt; lia);
      reflexivity. }
  unfold field_text. cbn [fst snd]. split; [|exact Cs].
  unfold no_ws_edges. cbn [app]. rewrite Cs. cbn [negb andb].
  destruct v as [|x v'].
  - change (c :: n ++ [61]) with ((c :: n) ++ [61]). rewrite last_last. reflexivity.
  - unfold no_ws_edges in Ed. apply andb_true_iff in Ed. destruct Ed as [_ Ed].
    replace (last (c :: n ++ 61 :: x :: v') 0) with (last (x :: v') 0); [exact Ed|].
    replace (c :: n ++ 61 :: x :: v') with ((c :: n ++ [61]) ++ x :: v') by (simpl; rewrite <- app_assoc; reflexivity).
    symmetry. apply last_app_ne. discriminate.
Qed.

Lemma trim_lead : forall x, no_ws_edges x = true -> js_space (hd 0 x) = false -> x <> [] -> trim (32 :: x) = x.
Proof.
  intros x H Hh Ne. unfold trim. simpl drop_ws at 2. replace (js_space 32) with true by reflexivity.
  fold (trim x). destruct x as [|c t]; [congruence|]. simpl in Hh.
  change (rev (drop_ws (rev (drop_ws (c :: t))))) with (trim (c :: t)). apply trim_plain. exact H.
Qed.

Lemma break_no_sep : forall n v, ~ In 61 n -> break_at 61 (n ++ 61 :: v) = (n, Some v).
Proof.
  induction n as [|c n IH]; intros v H; [reflexivity|].
  simpl. destruct (N.eqb_spec c 61) as [E|E]; [exfalso; apply H; left; exact E|].
  rewrite IH by (intros X; apply H; right; exact X). reflexivity.
Qed.

Lemma break_field : forall kv, field_ok kv = true -> break_at 61 (field_text kv) = (fst kv, Some (snd kv)).
Proof.
  intros [n v] H. unfold field_ok in H. cbn [fst snd] in H. repeat rewrite andb_true_iff in H. destruct H as [[[Tk _] _] _].
  apply break_no_sep. exact (proj1 (proj2 (token_no_cr n Tk))).
Qed.

Lemma token_trim : forall n, token n = true -> trim n = n.
Proof.
  intros n H. apply trim_plain. destruct n as [|c t]; [discriminate|].
  assert (Hall : forall x, In x (c :: t) -> js_space x = false).
  { intros x Hx. simpl in H. apply andb_true_iff in H. destruct H as [Hc Ht].
    assert (A : is_alpha x || is_digit x || (x =? 95) = true).
    { destruct Hx as [<- | Hx]; [unfold is_alpha in *; rewrite Hc; reflexivity | exact (proj1 (forallb_forall _ _) Ht x Hx)]. }
    unfold js_space, is_alpha, is_digit, between, member_of in *.
    repeat (apply orb_true_iff in A; destruct A as [A | A]);
      try (apply andb_true_iff in A; destruct A as [A1 A2]; apply N.leb_le in A1; apply N.leb_le in A2);
      try (apply N.eqb_eq in A; subst x);
      simpl;
      repeat match goal with |- context[(x =? ?k)] => replace (x =? k) with false by (symmetry; apply N.eqb_neq; lia) end;
      try replace ((8192 <=? x) && (x <=? 8202)) with false by (symmetry; apply andb_false_iff; left; apply N.leb_gt; lia);
      reflexivity. }
  unfold no_ws_edges. rewrite (Hall c (or_introl eq_refl)).
  rewrite (Hall (last (c :: t) 0)); [reflexivity|].
  clear. revert c. induction t as [|d t IH]; intros c; [left; reflexivity|]. right. apply IH.
Qed.

Lemma remove_ws_plain : forall v, forallb (fun c => negb (js_space c)) v = true -> remove_ws v = v.
Proof.
  induction v as [|c v IH]; intros H; [reflexivity|]. simpl in H. apply andb_true_iff in H. destruct H as [Hc Hv].
  simpl. rewrite Hc. rewrite IH by exact Hv. reflexivity.
Qed.

Lemma has_app : forall n a b, has n (a ++ b) = has n a || has n b.
Proof. intros. unfold has. apply existsb_app. Qed.

Lemma split_fields_ok : forall parts fs acc,
  Forall2 (fun p kv => trim p = field_text kv) parts fs ->
  forallb field_ok fs = true ->
  nodup_str (map fst (acc ++ fs)) = true ->
  (length (acc ++ fs) <= max_fields)%nat ->
  split_fields parts acc = Ok (acc ++ fs).
Proof.
  intros parts fs acc F. revert acc. induction F as [|p kv ps fs' Tr F IH]; intros acc Ok Nd Len.
  - rewrite app_nil_r. reflexivity.
  - simpl in Ok. apply andb_true_iff in Ok. destruct Ok as [Okk Okt].
    pose proof Okk as Fk. unfold field_ok in Fk. repeat rewrite andb_true_iff in Fk.
    destruct Fk as [[[Tk Nb] _] Hs]. apply negb_true_iff in Nb.
    cbn [split_fields]. rewrite Tr.
    assert (Ne : is_nil (field_text kv) = false) by (destruct kv as [[|c n] v]; [discriminate | reflexivity]).
    rewrite Ne. simpl andb. cbv iota. rewrite (break_field kv Okk). cbv iota beta.
    rewrite (token_trim (fst kv) Tk).
    assert (Nn : is_nil (fst kv) = false) by (destruct kv as [[|c n] v]; [discriminate | reflexivity]).
    rewrite Nn, Tk, Nb. simpl negb. cbv iota.
    assert (Hd : has (fst kv) acc = false).
    { rewrite map_app in Nd. simpl in Nd. clear -Nd.
      induction acc as [|a acc IH]; [reflexivity|]. simpl in Nd. apply andb_true_iff in Nd. destruct Nd as [N1 N2].
      unfold has. simpl. apply orb_false_iff. split.
      - destruct (str_eqb (fst a) (fst kv)) eqn:E; [|reflexivity].
        apply str_eqb_eq in E. rewrite E in N1. rewrite existsb_app in N1. simpl in N1.
        rewrite str_eqb_refl in N1. rewrite orb_true_r in N1. discriminate.
      - apply IH. exact N2. }
    rewrite Hd.
    assert (Hl : Nat.leb max_fields (length acc) = false).
    { apply Nat.leb_gt. rewrite app_length in Len. simpl in Len. unfold max_fields in *. lia. }
    rewrite Hl.
    assert (V : (if str_eqb (fst kv) name_sig then remove_ws (trim (snd kv)) else trim (snd kv)) = snd kv).
    { unfold header_safe in Hs. repeat rewrite andb_true_iff in Hs. destruct Hs as [[_ Ed] Sg].
      rewrite (trim_plain _ Ed). destruct (str_eqb (fst kv) name_sig); [apply remove_ws_plain; exact Sg | reflexivity]. }
    rewrite V. destruct kv as [n v]. simpl.
    rewrite (IH (acc ++ [(n, v)])); [rewrite <- app_assoc; reflexivity | exact Okt | |].
    + rewrite <- app_assoc. exact Nd.
    + rewrite <- app_assoc. exact Len.
Qed.

(** ** The theorem *)

(** A well-formed field list, serialized as a signer writes it (["; "], folded at any separator,
    after the space that follows the header's colon), parses back to exactly that list. *)
Theorem parse_folded : forall fs folds lead,
  well_formed fs = true -> lead = [] \/ lead = [32] -> N.of_nat (length (lead ++ folded folds fs)) <= max_header ->
  exists p, profile_of fs = Ok p /\ parse (lead ++ folded folds fs) = parsed_ok p fs.
Proof.
  intros fs folds lead W Lead Len.
  unfold well_formed in W. repeat rewrite andb_true_iff in W. destruct W as [[[Nd Ok] Lf] Pr].
  destruct (profile_of fs) as [p|r] eqn:P; [|discriminate]. exists p. split; [reflexivity|].
  unfold parse. replace (max_header <? N.of_nat (length (lead ++ folded folds fs))) with false
    by (symmetry; apply N.ltb_ge; exact Len).
  assert (U : unfold_crlf (lead ++ folded folds fs) = lead ++ serialize fs).
  { destruct Lead as [-> | ->]; [apply unfold_folded; exact Ok|].
    change ([32] ++ folded folds fs) with (32 :: folded folds fs). simpl. f_equal. apply unfold_folded. exact Ok. }
  rewrite U.
  destruct fs as [|kv t]; [simpl in P; discriminate|].
  assert (S : split_on 59 (lead ++ serialize (kv :: t)) = (lead ++ field_text kv) :: map (fun kv => 32 :: field_text kv) t).
  { destruct Lead as [-> | ->]; [apply split_serialize; exact Ok|].
    pose proof (split_serialize kv t Ok) as X. simpl. rewrite X. reflexivity. }
  rewrite S.
  simpl in Ok. pose proof Ok as Ok'. apply andb_true_iff in Ok'. destruct Ok' as [Okk Okt].
  destruct (field_text_edges kv Okk) as [Ed Hh].
  rewrite (split_fields_ok _ (kv :: t) [] ); [| | simpl; exact Ok | exact Nd | apply Nat.leb_le; exact Lf].
  - simpl app. rewrite P.
    assert (Vals : forallb (fun kv0 => value_ok (fst kv0) (snd kv0)) (kv :: t) = true).
    { apply forallb_forall. intros x Hx. pose proof (proj1 (forallb_forall field_ok (kv :: t)) Ok x Hx) as Fx.
      unfold field_ok in Fx. repeat rewrite andb_true_iff in Fx. destruct Fx as [[_ Vx] _]. exact Vx. }
    rewrite Vals. reflexivity.
  - constructor.
    + destruct Lead as [-> | ->]; [apply trim_plain; exact Ed|].
      apply trim_lead; [exact Ed | exact Hh | destruct kv as [[|c n] v]; [discriminate | discriminate]].
    + clear -Okt. induction t as [|kv' t' IH]; constructor.
      * simpl in Okt. apply andb_true_iff in Okt. destruct Okt as [Ok1 _].
        destruct (field_text_edges kv' Ok1) as [E H]. apply trim_lead; [exact E | exact H | destruct kv' as [[|c n] v]; discriminate].
      * apply IH. simpl in Okt. apply andb_true_iff in Okt. exact (proj2 Okt).
Qed.

(** Two well-formed field lists that serialize to the same text are the same list. *)
Theorem serialize_injective : forall f1 f2,
  well_formed f1 = true -> well_formed f2 = true ->
  N.of_nat (length (serialize f1)) <= max_header -> serialize f1 = serialize f2 -> f1 = f2.
Proof.
  intros f1 f2 W1 W2 L E.
  destruct (parse_folded f1 [] [] W1 (or_introl eq_refl) L) as (p1 & _ & P1).
  assert (L2 : N.of_nat (length ([] ++ folded [] f2)) <= max_header) by (simpl; unfold serialize in E; rewrite <- E; exact L).
  destruct (parse_folded f2 [] [] W2 (or_introl eq_refl) L2) as (p2 & _ & P2).
  simpl in P1, P2. unfold serialize in E. rewrite E in P1. rewrite P1 in P2. congruence.
Qed.

(** Delimiter injection: a value that tries to add a field is not a value of any known field. *)
Example agent_cannot_smuggle_a_field : value_ok (u "agent") (u "x; oversight=autonomous") = false.
Proof. reflexivity. Qed.

Example h_cannot_hold_a_semicolon : value_ok (u "h") (u "from;approval=apr_1") = false.
Proof. reflexivity. Qed.

(** ** The signer's checks are enough

    A signer only checks each value against [value_ok] (and writes [v=1]).  Every such value is
    visible ASCII without [;], so it has nothing [header_safe] forbids: a header built from values
    the signer accepted is well formed as soon as its names are distinct and its profile complete. *)

Definition visible (c : N) : bool := between 33 126 c && negb (c =? 59).

Lemma visible_not_space : forall c, between 33 126 c = true -> js_space c = false.
Proof.
  intros c H. unfold between in H. apply andb_true_iff in H. destruct H as [H1 H2].
  apply N.leb_le in H1. apply N.leb_le in H2.
  unfold js_space, member_of, between. simpl.
  repeat match goal with |- context[(c =? ?k)] => replace (c =? k) with false by (symmetry; apply N.eqb_neq; lia) end.
  replace ((8192 <=? c) && (c <=? 8202)) with false by (symmetry; apply andb_false_iff; left; apply N.leb_gt; lia).
  reflexivity.
Qed.

Lemma visible_header_safe : forall name v, forallb visible v = true -> header_safe name v = true.
Proof.
  intros name v H.
  assert (All : forall c, In c v -> between 33 126 c = true /\ c <> 59).
  { intros c Hc. pose proof (proj1 (forallb_forall _ _) H c Hc) as X. unfold visible in X.
    apply andb_true_iff in X. destruct X as [X1 X2]. split; [exact X1|]. apply negb_true_iff, N.eqb_neq in X2. exact X2. }
  unfold header_safe. repeat rewrite andb_true_iff. split; [split|].
  - apply forallb_forall. intros c Hc. destruct (All c Hc) as [B N59].
    unfold between in B. apply andb_true_iff in B. destruct B as [B1 _]. apply N.leb_le in B1.
    apply andb_true_iff. split; apply negb_true_iff, N.eqb_neq; lia.
  - destruct v as [|c t] eqn:V; [reflexivity|]. unfold no_ws_edges.
    rewrite (visible_not_space c (proj1 (All c (or_introl eq_refl)))).
    rewrite (visible_not_space (last (c :: t) 0)); [reflexivity|].
    apply All. clear. revert c. induction t as [|d t IH]; intros c; [left; reflexivity|]. right. apply IH.
  - destruct (str_eqb name name_sig); [|reflexivity].
    apply forallb_forall. intros c Hc. rewrite (visible_not_space c (proj1 (All c Hc))). reflexivity.
Qed.

Lemma in_split_on : forall sep v c, In c v -> c = sep \/ exists part, In part (split_on sep v) /\ In c part.
Proof.
  intros sep v c. induction v as [|x v IH]; intros H; [destruct H|].
  simpl. destruct (N.eqb_spec x sep) as [E|E].
  - destruct H as [<- | H]; [left; exact E|].
    destruct (IH H) as [L | (part & P1 & P2)]; [left; exact L | right; exists part; split; [right; exact P1 | exact P2]].
  - destruct (split_on sep v) as [|h r] eqn:S.
    + destruct H as [<- | H]; [right; exists [x]; split; [left; reflexivity | left; reflexivity]|].
      destruct (IH H) as [L | (part & P1 & _)]; [left; exact L | destruct P1].
    + destruct H as [<- | H]; [right; exists (x :: h); split; [left; reflexivity | left; reflexivity]|].
      destruct (IH H) as [L | (part & [<- | P1] & P2)]; [left; exact L | |].
      * right. exists (x :: h). split; [left; reflexivity | right; exact P2].
      * right. exists part. split; [right; exact P1 | exact P2].
Qed.

Lemma char_class_visible : forall (f : N -> bool) v,
  (forall c, f c = true -> visible c = true) -> forallb f v = true -> forallb visible v = true.
Proof.
  intros f v Hf H. apply forallb_forall. intros c Hc. apply Hf. exact (proj1 (forallb_forall _ _) H c Hc).
Qed.

Ltac range_visible :=
  intros c H; unfold visible, safe_char, b64_char, header_name_char, is_lower_hex, is_alpha, is_digit, member_of,
    safe_specials, b64_specials, pad2_chars, pad1_chars in *;
  unfold between in *; simpl in H;
  repeat match goal with
  | H : _ || _ = true |- _ => apply orb_true_iff in H; destruct H as [H | H]
  | H : _ && _ = true |- _ => apply andb_true_iff in H; destruct H
  | H : (_ <=? _) = true |- _ => apply N.leb_le in H
  | H : (_ =? _) = true |- _ => apply N.eqb_eq in H; subst
  | H : false = true |- _ => discriminate H
  end;
  (apply andb_true_iff; split;
   [ apply andb_true_iff; split; apply N.leb_le; lia
   | apply negb_true_iff, N.eqb_neq; lia ]).

Lemma b64_visible : forall v, b64_canonical v = true -> forallb visible v = true.
Proof.
  assert (B : forall c, b64_char c = true -> visible c = true) by range_visible.
  assert (P2 : forall c, member_of pad2_chars c = true -> visible c = true) by range_visible.
  assert (P1 : forall c, member_of pad1_chars c = true -> visible c = true) by range_visible.
  assert (Eq : forall c, (c =? 61) = true -> visible c = true) by (intros c H; apply N.eqb_eq in H; subst; reflexivity).
  fix IH 1. intros v H.
  destruct v as [|a [|b [|c [|d rest]]]]; try discriminate.
  destruct rest as [|e rest'] eqn:R.
  - simpl in H. repeat rewrite andb_true_iff in H. repeat rewrite orb_true_iff in H. repeat rewrite andb_true_iff in H.
    simpl. rewrite (B a (proj1 H)), andb_true_l.
    destruct H as [_ [[[[Hb Hc] Hd] | [[Hb Hc] Hd]] | [[Hb Hc] Hd]]].
    + rewrite (B b Hb), (B c Hc), (B d Hd). reflexivity.
    + rewrite (B b Hb), (P2 c Hc), (Eq d Hd). reflexivity.
    + rewrite (P1 b Hb), (Eq c Hc), (Eq d Hd). reflexivity.
  - change (b64_canonical (a :: b :: c :: d :: e :: rest')) with
      (b64_char a && b64_char b && b64_char c && b64_char d && b64_canonical (e :: rest')) in H.
    repeat rewrite andb_true_iff in H. destruct H as [[[[Ha Hb] Hc] Hd] Hr].
    change (visible a && (visible b && (visible c && (visible d && forallb visible (e :: rest')))) = true).
    rewrite (B a Ha), (B b Hb), (B c Hc), (B d Hd). cbn [andb]. rewrite <- R. apply IH. rewrite R. exact Hr.
Qed.

Lemma h_visible : forall v, h_value v = true -> forallb visible v = true.
Proof.
  assert (Hn : forall c, header_name_char c = true -> visible c = true) by range_visible.
  intros v H. unfold h_value in H. repeat rewrite andb_true_iff in H. destruct H as [[_ All] _].
  apply forallb_forall. intros c Hc. destruct (in_split_on 58 v c Hc) as [-> | (part & P1 & P2)]; [reflexivity|].
  pose proof (proj1 (forallb_forall _ _) All part P1) as X. repeat rewrite andb_true_iff in X.
  destruct X as [[_ X] _]. apply Hn. exact (proj1 (forallb_forall _ _) X c P2).
Qed.

Theorem signer_values_are_header_safe : forall name v,
  is_name name known_names = true ->
  value_ok name v = true -> header_safe name v = true.
Proof.
  assert (S : forall c, safe_char c = true -> visible c = true) by range_visible.
  assert (D : forall c, is_digit c = true -> visible c = true) by range_visible.
  assert (X : forall c, is_lower_hex c = true -> visible c = true) by range_visible.
  intros name v Known H. apply visible_header_safe.
  unfold value_ok in H.
  destruct (is_name name safe_names) eqn:K1.
  { unfold safe_value in H. apply andb_true_iff in H. exact (char_class_visible _ _ S (proj2 H)). }
  destruct (is_name name oversight_names) eqn:K2.
  { unfold oversight_value, mode_names in H. simpl in H.
    repeat (apply orb_true_iff in H; destruct H as [H | H]); try discriminate;
      apply str_eqb_eq in H; subst; reflexivity. }
  destruct (is_name name ts_names) eqn:K3.
  { unfold ts_value in H. apply andb_true_iff in H. exact (char_class_visible _ _ D (proj2 H)). }
  destruct (is_name name hex_names) eqn:K4.
  { unfold hex64 in H. apply andb_true_iff in H. exact (char_class_visible _ _ X (proj2 H)). }
  destruct (is_name name h_names) eqn:K5; [exact (h_visible v H)|].
  destruct (is_name name sig_names) eqn:K6; [exact (b64_visible v H)|].
  exfalso.
  assert (Split : known_names = safe_names ++ oversight_names ++ ts_names ++ hex_names ++ h_names ++ sig_names)
    by (vm_compute; reflexivity).
  unfold is_name in *. rewrite Split in Known. rewrite !existsb_app in Known.
  rewrite K1, K2, K3, K4, K5, K6 in Known. discriminate.
Qed.
