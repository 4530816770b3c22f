(** * The signed payload of X-MM-Identity-Sig (SPEC §2.2).

    The payload is every header field but [sig], plus [body_hash], serialized as Python's
    [json.dumps(payload, sort_keys=True)]: keys sorted, [", "] and [": "] separators, every value
    a string, [ensure_ascii] escapes.  Strings are lists of UTF-16 code units (what a JavaScript
    string is, and what Python's escaper walks after splitting astral characters into surrogate
    pairs).  The theorems: the serialization has a left inverse (a decoder), so it is injective —
    no two field sets give the same signed bytes, whatever the values contain — and it is ASCII. *)

From Coq Require Import List NArith ZArith Lia Bool Permutation.
Import ListNotations.
Open Scope N_scope.

Definition str := list N.

Definition unit_ok (c : N) : bool := c <? 65536.
Definition str_ok (s : str) : bool := forallb unit_ok s.

(** ** One JSON string, as [ensure_ascii] writes it *)

Definition hexdigit (d : N) : N := if d <? 10 then 48 + d else 87 + d.

Definition unhex (c : N) : option N :=
  if (48 <=? c) && (c <=? 57) then Some (c - 48)
  else if (97 <=? c) && (c <=? 102) then Some (c - 87) else None.

(** Python's short escapes: the letter written after the backslash. *)
Definition short_escape (c : N) : option N :=
  if c =? 34 then Some 34 else if c =? 92 then Some 92 else if c =? 8 then Some 98
  else if c =? 12 then Some 102 else if c =? 10 then Some 110 else if c =? 13 then Some 114
  else if c =? 9 then Some 116 else None.

Definition unshort (e : N) : option N :=
  if e =? 34 then Some 34 else if e =? 92 then Some 92 else if e =? 98 then Some 8
  else if e =? 102 then Some 12 else if e =? 110 then Some 10 else if e =? 114 then Some 13
  else if e =? 116 then Some 9 else None.

Definition printable (c : N) : bool := (32 <=? c) && (c <=? 126).

Definition u_escape (c : N) : str :=
  [92; 117; hexdigit (c / 4096); hexdigit (c / 256 mod 16); hexdigit (c / 16 mod 16); hexdigit (c mod 16)].

Definition esc (c : N) : str :=
  match short_escape c with
  | Some e => [92; e]
  | None => if printable c then [c] else u_escape c
  end.

Definition enc_str (s : str) : str := 34 :: flat_map esc s ++ [34].

(** Reads a JSON string body up to its closing quote: the code units and what follows. *)
Fixpoint dec_str (s : str) : option (str * str) :=
  match s with
  | [] => None
  | c :: t =>
      if c =? 34 then Some ([], t)
      else if c =? 92 then
        match t with
        | [] => None
        | e :: t' =>
            if e =? 117 then
              match t' with
              | a :: b :: c1 :: d :: t'' =>
                  match unhex a, unhex b, unhex c1, unhex d, dec_str t'' with
                  | Some a', Some b', Some c', Some d', Some (v, r) => Some ((4096 * a' + 256 * b' + 16 * c' + d') :: v, r)
                  | _, _, _, _, _ => None
                  end
              | _ => None
              end
            else match unshort e, dec_str t' with
                 | Some x, Some (v, r) => Some (x :: v, r)
                 | _, _ => None
                 end
        end
      else if printable c then
        match dec_str t with Some (v, r) => Some (c :: v, r) | None => None end
      else None
  end.

(** ** The object *)

Definition member (kv : str * str) : str := enc_str (fst kv) ++ [58; 32] ++ enc_str (snd kv).

Fixpoint members (l : list (str * str)) : str :=
  match l with
  | [] => []
  | [kv] => member kv
  | kv :: t => member kv ++ [44; 32] ++ members t
  end.

Definition ser (l : list (str * str)) : str := 123 :: members l ++ [125].

Definition expect (c : N) (s : str) : option str :=
  match s with x :: t => if x =? c then Some t else None | [] => None end.

Fixpoint dec_members (fuel : nat) (s : str) : option (list (str * str)) :=
  match fuel with
  | O => None
  | S f =>
      match expect 34 s with
      | None => None
      | Some t =>
          match dec_str t with
          | None => None
          | Some (k, r) =>
              match expect 58 r with
              | None => None
              | Some r1 =>
                  match expect 32 r1 with
                  | None => None
                  | Some r2 =>
                      match expect 34 r2 with
                      | None => None
                      | Some r3 =>
                          match dec_str r3 with
                          | None => None
                          | Some (v, r4) =>
                              match r4 with
                              | [x] => if x =? 125 then Some [(k, v)] else None
                              | _ =>
                                  match expect 44 r4 with
                                  | None => None
                                  | Some r5 =>
                                      match expect 32 r5 with
                                      | None => None
                                      | Some r6 => match dec_members f r6 with Some l => Some ((k, v) :: l) | None => None end
                                      end
                                  end
                              end
                          end
                      end
                  end
              end
          end
      end
  end.

Definition dec_payload (s : str) : option (list (str * str)) :=
  match expect 123 s with
  | None => None
  | Some t => match t with [x] => if x =? 125 then Some [] else None | _ => dec_members (length t) t end
  end.

(** ** The decoder inverts the encoder *)

Lemma unhex_hexdigit : forall d, d < 16 -> unhex (hexdigit d) = Some d.
Proof.
  intros d H. unfold hexdigit, unhex.
  destruct (N.ltb_spec d 10).
  - replace ((48 <=? 48 + d) && (48 + d <=? 57)) with true by (symmetry; apply andb_true_iff; split; apply N.leb_le; lia).
    f_equal; lia.
  - replace ((48 <=? 87 + d) && (87 + d <=? 57)) with false by (symmetry; apply andb_false_iff; right; apply N.leb_gt; lia).
    replace ((97 <=? 87 + d) && (87 + d <=? 102)) with true by (symmetry; apply andb_true_iff; split; apply N.leb_le; lia).
    f_equal; lia.
Qed.

Lemma nibbles : forall c, c < 65536 ->
  c / 4096 < 16 /\ c / 256 mod 16 < 16 /\ c / 16 mod 16 < 16 /\ c mod 16 < 16 /\
  4096 * (c / 4096) + 256 * (c / 256 mod 16) + 16 * (c / 16 mod 16) + c mod 16 = c.
Proof. intros c H. zify. Z.quot_rem_to_equations. Z.div_mod_to_equations. lia. Qed.

Lemma short_escape_cases : forall c e, short_escape c = Some e ->
  (c = 34 /\ e = 34) \/ (c = 92 /\ e = 92) \/ (c = 8 /\ e = 98) \/ (c = 12 /\ e = 102) \/
  (c = 10 /\ e = 110) \/ (c = 13 /\ e = 114) \/ (c = 9 /\ e = 116).
Proof.
  intros c e H. unfold short_escape in H.
  repeat match type of H with
  | context[if ?t =? ?k then _ else _] => destruct (N.eqb_spec t k); [inversion H; subst; tauto|]
  end; discriminate.
Qed.

Lemma dec_esc : forall c s, unit_ok c = true ->
  dec_str (esc c ++ s) = match dec_str s with Some (v, r) => Some (c :: v, r) | None => None end.
Proof.
  intros c s U. unfold esc.
  destruct (short_escape c) as [e|] eqn:Sh.
  - destruct (short_escape_cases c e Sh) as [H|[H|[H|[H|[H|[H|H]]]]]]; destruct H as [-> ->];
      reflexivity.
  - assert (N34 : c <> 34) by (intros ->; discriminate).
    assert (N92 : c <> 92) by (intros ->; discriminate).
    destruct (printable c) eqn:P.
    + simpl. apply N.eqb_neq in N34. apply N.eqb_neq in N92. rewrite N34, N92, P. reflexivity.
    + unfold u_escape. apply N.ltb_lt in U. destruct (nibbles c U) as (A & B & C & D & E).
      cbn -[N.mul N.add N.div N.modulo hexdigit unhex]. rewrite !unhex_hexdigit by assumption. rewrite E. reflexivity.
Qed.

Lemma dec_body : forall s rest, str_ok s = true -> dec_str (flat_map esc s ++ 34 :: rest) = Some (s, rest).
Proof.
  induction s as [|c s IH]; intros rest H.
  - reflexivity.
  - simpl in H. apply andb_true_iff in H. destruct H as [Hc Hs].
    simpl. rewrite <- app_assoc. rewrite dec_esc by exact Hc. rewrite IH by exact Hs. reflexivity.
Qed.

Definition all_ok (l : list (str * str)) : bool := forallb (fun kv => str_ok (fst kv) && str_ok (snd kv)) l.

Lemma member_shape : forall kv rest,
  member kv ++ rest = 34 :: flat_map esc (fst kv) ++ 34 :: 58 :: 32 :: 34 :: flat_map esc (snd kv) ++ 34 :: rest.
Proof.
  intros [k v] rest. unfold member, enc_str. simpl. rewrite <- !app_assoc. simpl. rewrite <- !app_assoc. reflexivity.
Qed.

Lemma member_length : forall kv, (1 <= length (member kv))%nat.
Proof. intros kv. unfold member, enc_str. simpl. lia. Qed.

Lemma members_length : forall l, (length l <= length (members l))%nat.
Proof.
  induction l as [|kv t IH]; [simpl; lia|].
  pose proof (member_length kv) as M.
  destruct t as [|kv' t'].
  - simpl. lia.
  - change (members (kv :: kv' :: t')) with (member kv ++ [44; 32] ++ members (kv' :: t')).
    rewrite !app_length. change (length (kv :: kv' :: t')) with (S (length (kv' :: t'))). simpl length at 2. lia.
Qed.

Lemma dec_members_ok : forall l fuel, l <> [] -> all_ok l = true -> (length l <= fuel)%nat ->
  dec_members fuel (members l ++ [125]) = Some l.
Proof.
  induction l as [|kv t IH]; intros fuel Ne Ok Le; [congruence|].
  simpl in Ok. apply andb_true_iff in Ok. destruct Ok as [Okv Okt]. apply andb_true_iff in Okv. destruct Okv as [Ok1 Ok2].
  destruct fuel as [|f]; [simpl in Le; lia|].
  destruct t as [|kv' t'].
  - simpl members. rewrite member_shape. simpl.
    rewrite dec_body by exact Ok1. simpl. rewrite dec_body by exact Ok2. destruct kv; reflexivity.
  - change (members (kv :: kv' :: t')) with (member kv ++ [44; 32] ++ members (kv' :: t')).
    rewrite <- app_assoc. rewrite member_shape. simpl.
    rewrite dec_body by exact Ok1. simpl. rewrite dec_body by exact Ok2.
    simpl. rewrite IH; [destruct kv; reflexivity | discriminate | exact Okt | simpl in Le |- *; lia].
Qed.

Theorem dec_ser : forall l, all_ok l = true -> dec_payload (ser l) = Some l.
Proof.
  intros l Ok. destruct l as [|kv t]; [reflexivity|].
  unfold dec_payload, ser.
  pose proof (members_length (kv :: t)) as Len.
  remember (members (kv :: t) ++ [125]) as M eqn:E.
  change (expect 123 (123 :: M)) with (Some M). cbv iota beta.
  assert (L : (2 <= length M)%nat) by (subst M; rewrite app_length; simpl in *; lia).
  destruct M as [|x [|y r]]; [simpl in L; lia | simpl in L; lia|].
  rewrite E. apply dec_members_ok; [discriminate | exact Ok |].
  rewrite app_length. lia.
Qed.

Theorem ser_injective : forall l1 l2, all_ok l1 = true -> all_ok l2 = true -> ser l1 = ser l2 -> l1 = l2.
Proof.
  intros l1 l2 O1 O2 E. apply (f_equal dec_payload) in E. rewrite !dec_ser in E by assumption. congruence.
Qed.

(** Every unit written is ASCII, so the UTF-8 bytes that are signed are these units. *)
Lemma hexdigit_ascii : forall d, d < 16 -> hexdigit d < 128.
Proof. intros d H. unfold hexdigit. destruct (N.ltb_spec d 10); lia. Qed.

Lemma esc_ascii : forall c, unit_ok c = true -> Forall (fun b => b < 128) (esc c).
Proof.
  intros c U. unfold esc. destruct (short_escape c) as [e|] eqn:Sh.
  - destruct (short_escape_cases c e Sh) as [H|[H|[H|[H|[H|[H|H]]]]]]; destruct H as [-> ->];
      repeat constructor; lia.
  - destruct (printable c) eqn:P.
    + unfold printable in P. apply andb_true_iff in P. destruct P as [_ P]. apply N.leb_le in P.
      repeat constructor. lia.
    + apply N.ltb_lt in U. destruct (nibbles c U) as (A & B & C & D & _).
      unfold u_escape. repeat constructor; try lia; apply hexdigit_ascii; assumption.
Qed.

Lemma enc_str_ascii : forall s, str_ok s = true -> Forall (fun b => b < 128) (enc_str s).
Proof.
  intros s H. unfold enc_str. constructor; [lia|]. apply Forall_app. split; [|repeat constructor; lia].
  induction s as [|c t IH]; [constructor|]. simpl in H. apply andb_true_iff in H. destruct H.
  simpl. apply Forall_app. split; [apply esc_ascii | apply IH]; assumption.
Qed.

Theorem ser_ascii : forall l, all_ok l = true -> Forall (fun b => b < 128) (ser l).
Proof.
  intros l Ok. unfold ser. constructor; [lia|]. apply Forall_app. split; [|repeat constructor; lia].
  induction l as [|kv t IH]; [constructor|].
  simpl in Ok. apply andb_true_iff in Ok. destruct Ok as [Okv Okt]. apply andb_true_iff in Okv. destruct Okv.
  assert (M : Forall (fun b => b < 128) (member kv)).
  { unfold member. apply Forall_app. split; [apply enc_str_ascii; assumption|].
    apply Forall_app. split; [repeat constructor; lia | apply enc_str_ascii; assumption]. }
  destruct t as [|kv' t']; [exact M|].
  change (members (kv :: kv' :: t')) with (member kv ++ [44; 32] ++ members (kv' :: t')).
  apply Forall_app. split; [exact M|]. apply Forall_app. split; [repeat constructor; lia | apply IH; exact Okt].
Qed.

(** ** Keys sorted by code unit (= by code point for the ASCII field names headers allow) *)

Fixpoint str_ltb (a b : str) : bool :=
  match a, b with
  | [], [] => false
  | [], _ :: _ => true
  | _ :: _, [] => false
  | x :: a', y :: b' => if x <? y then true else if y <? x then false else str_ltb a' b'
  end.

Fixpoint insert (kv : str * str) (l : list (str * str)) : list (str * str) :=
  match l with
  | [] => [kv]
  | h :: t => if str_ltb (fst kv) (fst h) then kv :: h :: t else h :: insert kv t
  end.

Definition sort (l : list (str * str)) : list (str * str) := fold_right insert [] l.

Lemma insert_perm : forall kv l, Permutation (insert kv l) (kv :: l).
Proof.
  intros kv l. induction l as [|h t IH]; simpl; [auto|].
  destruct (str_ltb (fst kv) (fst h)); [auto|].
  apply perm_trans with (h :: kv :: t); [constructor; exact IH | apply perm_swap].
Qed.

Lemma sort_perm : forall l, Permutation (sort l) l.
Proof.
  induction l as [|kv t IH]; simpl; [auto|].
  apply perm_trans with (kv :: sort t); [apply insert_perm | constructor; exact IH].
Qed.

Lemma all_ok_perm : forall l l', Permutation l l' -> all_ok l = all_ok l'.
Proof.
  intros l l' P. induction P; simpl; try congruence.
  - destruct (str_ok (fst x) && str_ok (snd x)), (str_ok (fst y) && str_ok (snd y)); reflexivity.
Qed.

(** "body_hash": the verifier's own hash of the body, added to the header's fields. *)
Definition body_hash_key : str := [98; 111; 100; 121; 95; 104; 97; 115; 104].

Definition payload (fields : list (str * str)) (body_hash : str) : list (str * str) :=
  sort ((body_hash_key, body_hash) :: fields).

Definition payload_bytes (fields : list (str * str)) (body_hash : str) : str := ser (payload fields body_hash).

(** No two field sets give the same signed bytes: equal bytes mean the same body hash and the
    same fields (in any order), whatever characters the values hold. *)
Theorem payload_injective : forall f1 f2 b1 b2,
  all_ok f1 = true -> all_ok f2 = true -> str_ok b1 = true -> str_ok b2 = true ->
  ~ In body_hash_key (map fst f1) -> ~ In body_hash_key (map fst f2) ->
  payload_bytes f1 b1 = payload_bytes f2 b2 -> b1 = b2 /\ Permutation f1 f2.
Proof.
  intros f1 f2 b1 b2 O1 O2 B1 B2 N1 N2 E.
  assert (Ok : forall f b, all_ok f = true -> str_ok b = true -> all_ok (payload f b) = true).
  { intros f b Of Ob. unfold payload. rewrite (all_ok_perm _ _ (sort_perm _)). simpl.
    rewrite Ob, Of. reflexivity. }
  apply ser_injective in E; [|apply Ok; assumption | apply Ok; assumption].
  unfold payload in E.
  assert (P : Permutation ((body_hash_key, b1) :: f1) ((body_hash_key, b2) :: f2)).
  { apply perm_trans with (sort ((body_hash_key, b1) :: f1)); [apply Permutation_sym, sort_perm|].
    rewrite E. apply sort_perm. }
  assert (In1 : In (body_hash_key, b1) ((body_hash_key, b2) :: f2)) by (apply (Permutation_in _ P); left; reflexivity).
  destruct In1 as [Eq | In2].
  - inversion Eq; subst. split; [reflexivity|]. exact (Permutation_cons_inv P).
  - exfalso. apply N2. apply (in_map fst) in In2. exact In2.
Qed.
